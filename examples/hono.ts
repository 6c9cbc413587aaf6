// Hono behind Gatehouse: `npx tsc -p examples && node build/examples/hono.js`, then
// `curl --cacert ~/.gatehouse/local-ca/root.crt https://app.localhost:8443/hello`.
import { getRequestListener } from '@hono/node-server'
import { Hono } from 'hono'
import { createServer } from 'gatehouse'

const app = new Hono()
app.get('/hello', (c) => c.json({ hello: 'hono' }))

const server = await createServer(
  { domains: ['app.localhost'], https: { port: 8443 }, http: { port: 8080 } },
  getRequestListener(app.fetch),
)
await server.listen()
console.log(`https://app.localhost:${server.httpsPort}/hello`)
