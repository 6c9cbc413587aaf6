import { join, resolve } from 'node:path'
import { homedir } from 'node:os'
import { GatehouseError } from '../../errors.js'
import { reloadRunningServer } from '../server-pid.js'
import { formatFlags, parseArgs, type FlagSpecs } from '../args.js'
import { str, type Io } from '../context.js'

const FLAGS: FlagSpecs = {
  home: {
    type: 'string',
    value: 'DIR',
    help: 'the home folder of the running server (default ~/.gatehouse)',
  },
  help: { type: 'boolean', help: 'show this help' },
}

const HELP = `usage: gatehouse reload [--home DIR]

Tells the running \`gatehouse serve\` (pid in <home>/gatehouse.pid) to re-read its configuration
(SIGHUP). The server keeps its connections; a configuration that fails to load leaves the running
one in place and the error is in the server's log.

options:
${formatFlags(FLAGS)}
`

export async function reload(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, FLAGS, io.env)
  if (args.flags.get('help')) {
    io.stdout.write(HELP)
    return 0
  }
  const home = resolve(str(args, 'home') ?? join(io.env.HOME ?? homedir(), '.gatehouse'))
  const file = join(home, 'gatehouse.pid')
  const outcome = await reloadRunningServer(home)
  switch (outcome.status) {
    case 'signalled':
      io.stdout.write(`sent SIGHUP to gatehouse serve (pid ${outcome.pid})\n`)
      return 0
    case 'no-server':
      throw new GatehouseError(
        'ERR_CONFIG',
        `no ${file}: gatehouse serve is not running with this home folder; give --home or start it`,
      )
    case 'stale':
      throw new GatehouseError(
        'ERR_CONFIG',
        `${file} is stale (${outcome.reason}); remove it and start gatehouse serve`,
      )
    case 'failed':
      throw new GatehouseError(
        'ERR_CONFIG',
        `${outcome.reason}; run gatehouse reload as the user that runs gatehouse serve`,
      )
  }
}
