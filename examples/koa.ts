// Koa behind Gatehouse: `npx tsc -p examples && node build/examples/koa.js`, then
// `curl --cacert ~/.gatehouse/local-ca/root.crt https://app.localhost:8443/hello`.
import Koa from 'koa'
import { createServer } from 'gatehouse'

const app = new Koa()
app.use(async (ctx) => {
  if (ctx.method === 'GET' && ctx.path === '/hello') ctx.body = { hello: 'koa' }
})

const server = await createServer(
  { domains: ['app.localhost'], https: { port: 8443 }, http: { port: 8080 } },
  app.callback(),
)
await server.listen()
console.log(`https://app.localhost:${server.httpsPort}/hello`)
