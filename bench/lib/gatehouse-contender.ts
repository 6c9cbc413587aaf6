import { performance } from 'node:perf_hooks'
import { createSecureContext, rootCertificates } from 'node:tls'
import { Agent } from 'undici'
import { AcmeClient } from '../../src/acme/client.js'
import { generateKey } from '../../src/crypto/keys.js'
import { Http01StandaloneSolver } from '../../src/issuance/http-01-solver.js'
import { obtain, type ObtainProgress } from '../../src/issuance/obtain.js'
import type { Pebble } from '../../test/helpers/pebble.js'
import type { Contender, Sample } from './row.js'

export interface GatehouseVariant {
  /**
   * Give the client an undici Agent whose connections share ONE TLS context built from Node's roots
   * plus Pebble's, instead of the client's own Agent with `connect: { ca }`, which makes Node build
   * a fresh context (parsing ~145 root PEMs, ~45 ms of CPU here) for every new connection. Measures
   * what that change to src/acme/http.ts would gain; the default row measures Gatehouse as it is.
   */
  sharedTlsContext?: boolean
}

/**
 * Gatehouse inside this process: one account created before timing (as a server would hold it),
 * then `obtain()` per certificate with the standalone HTTP-01 solver on Pebble's validation port.
 * CPU is this process's `process.cpuUsage()` delta, which includes the HTTP-01 listener.
 */
export async function gatehouseContender(
  pebble: Pebble,
  variant: GatehouseVariant = {},
): Promise<Contender> {
  const agent = variant.sharedTlsContext
    ? new Agent({
        connect: {
          secureContext: createSecureContext({ ca: [...rootCertificates, pebble.listenerCaPem] }),
        },
      })
    : undefined
  const client = new AcmeClient({
    directoryUrl: pebble.directoryUrl,
    accountKey: await generateKey('ec256'),
    ...(agent ? { dispatcher: agent } : { caCerts: [pebble.listenerCaPem] }),
  })
  await client.newAccount({ termsOfServiceAgreed: true })
  // One solver for every order: its listener serves all pending tokens, so 50 concurrent orders
  // share the one port Pebble validates on.
  const solver = new Http01StandaloneSolver({ host: '127.0.0.1', port: pebble.httpPort })
  let steps: Record<string, number> = {}
  const onProgress = (event: ObtainProgress): void => {
    steps[event.step] = (steps[event.step] ?? 0) + event.ms
  }
  const one = async (name: string): Promise<void> => {
    await obtain([{ type: 'dns', value: name }], { client, solvers: [solver], onProgress })
  }
  const measure = async (work: () => Promise<unknown>): Promise<Sample> => {
    steps = {}
    const cpu = process.cpuUsage()
    const started = performance.now()
    await work()
    const wallMs = performance.now() - started
    const used = process.cpuUsage(cpu)
    return { wallMs, cpuMs: (used.user + used.system) / 1000, steps }
  }
  return {
    id: agent ? 'gatehouse-shared-tls' : 'gatehouse',
    label: agent
      ? 'Gatehouse obtain(), caller-supplied dispatcher'
      : 'Gatehouse obtain() (in-process)',
    command:
      "obtain([{ type: 'dns', value: NAME }], { client, solvers: [new Http01StandaloneSolver({ host: '127.0.0.1', port: httpPort })] })",
    concurrentCommand: 'Promise.all(names.map((NAME) => obtain(…same as above…)))',
    warmUp: one,
    issue: (name) => measure(() => one(name)),
    issueMany: (names) => measure(() => Promise.all(names.map(one))),
    async close() {
      await client.close()
      await agent?.close()
    },
  }
}
