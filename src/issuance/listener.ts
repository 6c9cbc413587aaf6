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
  if (err.code === 'EACCES' && port < 1024) {
    return new GatehouseError(
      'ERR_CONFIG',
      `cannot bind ${what} to ${where}: permission denied; run \`sudo setcap cap_net_bind_service=+ep $(command -v node)\`, set net.ipv4.ip_unprivileged_port_start=${port}, or use a port above 1023`,
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

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve()
    server.close(() => resolve())
    // Standalone solvers serve only short validation requests: do not wait for idle keep-alives.
    ;(server as Server & { closeAllConnections?: () => void }).closeAllConnections?.()
  })
}
