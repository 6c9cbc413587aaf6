import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { Agent, request } from 'undici'
import { parseIdentifiers } from '../../issuance/identifiers.js'
import { Http01StandaloneSolver } from '../../issuance/http-01-solver.js'
import { loadOrCreateAccount } from '../../manager/account-store.js'
import { issueCertificate } from '../../manager/issue-certificate.js'
import { FileStorage } from '../../storage/file-storage.js'
import { startPebble } from '../../testing/pebble.js'
import { listen, closeServer } from '../../issuance/listener.js'
import { formatFlags, parseArgs, type FlagSpecs } from '../args.js'
import type { Io } from '../context.js'

const FLAGS: FlagSpecs = {
  serve: { type: 'boolean', help: 'keep serving https://127.0.0.1:PORT/ until Ctrl-C' },
  help: { type: 'boolean', help: 'show this help' },
}

const HELP = `usage: gatehouse demo [--serve]

Runs the whole ACME flow on this machine with no outside service: starts a local Pebble test CA
(Debian package \`pebble\`), registers an account, obtains a certificate for demo.gatehouse.test and
127.0.0.1 over HTTP-01, serves it over HTTPS and fetches the page back, verifying it against Pebble's
root. Everything lives in a temporary folder that is removed at the end.

options:
${formatFlags(FLAGS)}
`

export async function demo(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, FLAGS, io.env)
  if (args.flags.get('help')) {
    io.stdout.write(HELP)
    return 0
  }
  const say = (s: string): boolean => io.stdout.write(`${s}\n`)
  const home = mkdtempSync(join(tmpdir(), 'gatehouse-demo-'))
  let t = performance.now()
  const lap = (): string => {
    const ms = performance.now() - t
    t = performance.now()
    return `${Math.round(ms)} ms`
  }
  const pebble = await startPebble()
  try {
    say(`pebble         ${lap()}  ${pebble.directoryUrl}`)
    const storage = new FileStorage({ root: home })
    const client = await loadOrCreateAccount({
      storage,
      directoryUrl: pebble.directoryUrl,
      caCerts: [pebble.listenerCaPem],
    })
    say(`account        ${lap()}  ${client.accountUrl}`)
    const stored = await issueCertificate(parseIdentifiers(['demo.gatehouse.test', '127.0.0.1']), {
      storage,
      client,
      directoryUrl: pebble.directoryUrl,
      solvers: [new Http01StandaloneSolver({ host: '127.0.0.1', port: pebble.httpPort })],
    }).finally(() => client.close())
    say(
      `certificate    ${lap()}  ${stored.meta.identifiers.map((i) => i.value).join(', ')}, issuer ${stored.meta.issuer}, not after ${stored.meta.notAfter}`,
    )
    const server = createServer(
      { cert: stored.certificatePem, key: stored.privateKeyPem },
      (_req, res) => {
        res
          .writeHead(200, { 'content-type': 'text/plain' })
          .end('hello from gatehouse over HTTPS\n')
      },
    )
    const port = await listen(server, '127.0.0.1', 0, 'the demo HTTPS server')
    try {
      const dispatcher = new Agent({ connect: { ca: await pebble.root(0) } })
      const res = await request(`https://127.0.0.1:${port}/`, { dispatcher })
      say(
        `https fetch    ${lap()}  ${res.statusCode} ${(await res.body.text()).trim()} (certificate verified against Pebble's root)`,
      )
      await dispatcher.close()
      if (args.flags.get('serve')) {
        say(
          `serving https://127.0.0.1:${port}/ (trust ${await pebble.rootFile(0)}); Ctrl-C to stop`,
        )
        await new Promise<void>((resolve) =>
          io.signal?.addEventListener('abort', () => resolve(), { once: true }),
        )
      }
    } finally {
      await closeServer(server)
    }
    return 0
  } finally {
    await pebble.stop()
    rmSync(home, { recursive: true, force: true })
  }
}
