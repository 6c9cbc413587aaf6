import { createServer } from 'node:net'
import { fail, ok, type CheckResult } from './check-result.js'

/**
 * Whether `host:port` can be bound for listening, by binding it and letting go. When it is in use
 * by the running gatehouse (`serverPid`), that is fine. Otherwise the failure names the fix:
 * capabilities or the unprivileged port range for EACCES, the other program for EADDRINUSE.
 */
export async function checkPort(
  address: { host: string; port: number },
  serverPid?: number,
): Promise<CheckResult> {
  const label = `port ${address.port}`
  const where = address.host.includes(':')
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`
  const error = await tryBind(address)
  if (error === undefined) return ok(label, `${where} can be bound`)
  if (error === 'EADDRINUSE' && serverPid !== undefined) {
    return ok(label, `${where} is held by the running gatehouse (pid ${serverPid})`)
  }
  return fail(label, `cannot bind ${where}: ${describe(error)}`, bindFix(error, address.port))
}

function tryBind(address: { host: string; port: number }): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))
    server.listen({ host: address.host, port: address.port, exclusive: true }, () => {
      server.close(() => resolve(undefined))
    })
  })
}

function describe(code: string): string {
  switch (code) {
    case 'EACCES':
      return 'permission denied'
    case 'EADDRINUSE':
      return 'in use by another program'
    case 'EADDRNOTAVAIL':
      return 'no such address on this machine'
    default:
      return code
  }
}

/** What to do about a failed bind, by error code. */
export function bindFix(code: string, port: number): string {
  switch (code) {
    case 'EACCES':
      return (
        `ports below 1024 need a capability: sudo setcap cap_net_bind_service=+ep ${process.execPath}, ` +
        `or sudo sysctl -w net.ipv4.ip_unprivileged_port_start=${Math.min(port, 80)}, ` +
        'or run the systemd unit (AmbientCapabilities=CAP_NET_BIND_SERVICE)'
      )
    case 'EADDRINUSE':
      return `find the program with: sudo ss -ltnp 'sport = :${port}' and stop it, or use another port`
    case 'EADDRNOTAVAIL':
      return 'listen on an address this machine has (0.0.0.0 for all)'
    default:
      return 'check the address and port'
  }
}
