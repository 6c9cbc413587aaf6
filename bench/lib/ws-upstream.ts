/**
 * The WebSocket upstream of the proxy bench: `node build/bench/lib/ws-upstream.js PORT` listens on
 * 127.0.0.1:PORT and echoes every message, so the bench can check each tunnel is still open after
 * holding it idle. Exits on SIGTERM.
 */
import { WebSocketServer } from 'ws'

const port = Number(process.argv[2])
if (!Number.isInteger(port) || port <= 0) {
  console.error(`ws-upstream: bad port ${process.argv[2]}; usage: ws-upstream.js PORT`)
  process.exit(2)
}
// No per-message deflate: an idle connection then holds no zlib context, on either side.
const server = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false })
server.on('connection', (ws) =>
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })),
)
server.on('listening', () => console.log('ready'))
process.on('SIGTERM', () => {
  for (const ws of server.clients) ws.terminate()
  server.close(() => process.exit(0))
})
