// Fastify behind Gatehouse: `npx tsc -p examples && node build/examples/fastify.js`, then
// `curl --cacert ~/.gatehouse/local-ca/root.crt https://app.localhost:8443/hello`.
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http'
import Fastify, { type FastifyServerFactoryHandler } from 'fastify'
import { createServer } from 'gatehouse'

// Gatehouse owns the sockets: the factory keeps Fastify's handler and returns a server that is
// never listened on.
let handler: FastifyServerFactoryHandler | undefined
const app = Fastify({
  serverFactory: (h) => {
    handler = h
    return createHttpServer()
  },
})
app.get('/hello', async () => ({ hello: 'fastify' }))
await app.ready()

const server = await createServer(
  { domains: ['app.localhost'], https: { port: 8443 }, http: { port: 8080 } },
  (req: IncomingMessage, res: ServerResponse) => handler?.(req, res),
)
await server.listen()
console.log(`https://app.localhost:${server.httpsPort}/hello`)
