import { createGateway } from '../../proxy/gateway.js'
import { ConfigError } from '../../config/config-error.js'
import { runGatehouse } from '../../serve/run-gatehouse.js'
import { formatFlags } from '../args.js'
import {
  CONFIG_FLAGS,
  loadConfigFromArgs,
  parseConfigArgs,
  reportConfigError,
} from '../config-flags.js'
import type { Io } from '../context.js'

const HELP = `usage: gatehouse serve [--config FILE] [--workers N|auto] [options]

Runs the sites of ./gatehouse.toml (or --config FILE): HTTPS with automatic certificates, HTTP
redirected, the reverse proxy, the health endpoint and the access log. With no file and no sites,
the embedded default: https://localhost:8443 with a local-CA certificate, HTTP on 8080, and a page
listing the certificates.

SIGHUP (or \`gatehouse reload\`) re-reads the configuration without dropping connections; SIGTERM
and SIGINT drain in-flight requests (server.drain_timeout) and exit 0. The pid is written to
<home>/gatehouse.pid.

options:
${formatFlags(CONFIG_FLAGS)}
`

export async function serve(argv: string[], io: Io): Promise<number> {
  const args = parseConfigArgs(argv, io)
  if (args.flags.get('help')) {
    io.stdout.write(HELP)
    return 0
  }
  const stop = io.signal ?? new AbortController().signal
  try {
    return await runGatehouse({
      // Read at start and again on every SIGHUP, with the same command line.
      load: async () => (await loadConfigFromArgs(args, io)).config,
      createGateway,
      stop,
      logWrite: (line) => void io.stderr.write(line),
      stdout: io.stdout,
    })
  } catch (err) {
    if (err instanceof ConfigError) return reportConfigError(err, 'serve', io, false)
    throw err
  }
}
