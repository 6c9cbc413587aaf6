// Express behind Gatehouse: `npx tsc -p examples && node build/examples/express.js`, then
// `curl --cacert ~/.gatehouse/local-ca/root.crt https://app.localhost:8443/hello`.
import express from 'express'
import { createServer } from 'gatehouse'

const app = express()
app.use(express.json())
app.get('/hello', (_req, res) => {
  res.json({ hello: 'express' })
})
app.post('/echo', (req, res) => {
  res.status(201).json({ echo: req.body as unknown })
})

const server = await createServer(
  {
    domains: ['app.localhost'],
    https: { port: 8443 },
    http: { port: 8080 },
    // Express breaks on Node's HTTP/2 request objects, so this server speaks HTTP/1.1 only.
    http2: false,
  },
  app,
)
await server.listen()
console.log(`https://app.localhost:${server.httpsPort}/hello`)
