import { readFileSync } from 'node:fs'
import type { Server } from 'node:net'
import { GatehouseError } from '../errors.js'

/**
 * Listens on host:port, turning bind errors into messages that say what to do. Port 0 takes any free
 * port; the bound port is returned.
 */
export async function listen(
  server: Server,
  host: string,
  port: number,
  what: string,
): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening)
      reject(bindError(err, host, port, what))
    }
    const onListening = (): void => {
      server.off('error', onError)
      resolve()
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen(port, host)
  })
  const addr = server.address()
  return typeof addr === 'object' && addr ? addr.port : port
}

export function bindError(
  err: NodeJS.ErrnoException,
  host: string,
  port: number,
  what: string,
): Error {
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`
  const firstUnprivileged = unprivilegedPortStart()
  if (err.code === 'EACCES' && port > 0 && port < firstUnprivileged) {
    // Linux lets only CAP_NET_BIND_SERVICE bind below net.ipv4.ip_unprivileged_port_start (1024 by
    // default). setcap needs the real binary, not a symlink, hence process.execPath.
    return new GatehouseError(
      'ERR_CONFIG',
      `cannot bind ${what} to ${where}: permission denied; run \`sudo setcap cap_net_bind_service=+ep ${shellWord(process.execPath)}\`, or \`sudo sysctl net.ipv4.ip_unprivileged_port_start=${port}\`, or use a port above ${firstUnprivileged - 1}`,
      { cause: err },
    )
  }
  if (err.code === 'EADDRINUSE') {
    return new GatehouseError(
      'ERR_CONFIG',
      `cannot bind ${what} to ${where}: the address is already in use; stop what listens there or choose another port`,
      { cause: err },
    )
  }
  if (err.code === 'EADDRNOTAVAIL') {
    return new GatehouseError(
      'ERR_CONFIG',
      `cannot bind ${what} to ${where}: no such local address on this machine`,
      { cause: err },
    )
  }
  return new GatehouseError('ERR_CONFIG', `cannot bind ${what} to ${where}: ${err.message}`, {
    cause: err,
  })
}

/** The lowest port an unprivileged process may bind: the Linux sysctl, else the classic 1024. */
function unprivilegedPortStart(): number {
  try {
    const n = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim())
    return Number.isInteger(n) && n > 0 ? n : 1024
  } catch {
    return 1024
  }
}

function shellWord(s: string): string {
  return /^[\w./+-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve()
    server.close(() => resolve())
    // Standalone solvers serve only short validation requests: do not wait for idle keep-alives.
    ;(server as Server & { closeAllConnections?: () => void }).closeAllConnections?.()
  })
}
