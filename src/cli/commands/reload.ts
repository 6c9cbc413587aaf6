import { join, resolve } from 'node:path'
import { homedir } from 'node:os'
import { signalServer } from '../../serve/pid-file.js'
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
  const pid = await signalServer(home, 'SIGHUP')
  io.stdout.write(`sent SIGHUP to gatehouse serve (pid ${pid})\n`)
  return 0
}
