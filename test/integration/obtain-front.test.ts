import { test } from 'node:test'
import assert from 'node:assert/strict'
import { certId } from '../../src/acme/cert-id.js'
import { Http01StandaloneSolver } from '../../src/issuance/http-01-solver.js'
import { parseIdentifiers } from '../../src/issuance/identifiers.js'
import { obtain, type ObtainProgress } from '../../src/issuance/obtain.js'
import { startAcmeFront } from '../helpers/acme-front.js'
import { startPebble } from '../helpers/pebble.js'
import { opensslVerify } from '../helpers/openssl.js'
import { newAccountClient } from '../helpers/acme-account.js'

// Through the ACME front (ARI, profiles, faults) before real Pebble, which still issues every certificate.
test('obtain(): profile, ARI replaces, alreadyReplaced recovery and a rate limit waited out', async (t) => {
  const pebble = await startPebble({ nonceReject: 0 })
  t.after(() => pebble.stop())
  const front = await startAcmeFront(pebble, {
    profiles: { classic: 'the default', shortlived: '6 days' },
  })
  t.after(() => front.close())
  const client = await newAccountClient(t, front.directoryUrl, pebble.listenerCaPem)
  const solvers = [new Http01StandaloneSolver({ host: '127.0.0.1', port: pebble.httpPort })]
  const root = await pebble.root(0)

  const first = await obtain(parseIdentifiers(['ari.example.test']), {
    client,
    solvers,
    profile: 'shortlived',
  })
  opensslVerify(first.certificatePem, root, { name: 'ari.example.test' })
  assert.equal(first.profile, 'shortlived')
  assert.deepEqual(front.orderProfiles, ['shortlived'])

  // ARI: the CA suggests a window for this certificate; the renewal names it in `replaces`.
  const id = certId(first.certificatePem)
  const start = new Date(Date.now() + 3600_000)
  front.setRenewalWindow({ start, end: new Date(start.getTime() + 3600_000) }, id)
  const { info } = await client.renewalInfo(id)
  assert.equal(new Date(info.suggestedWindow.start).getTime(), start.getTime())
  const second = await obtain(parseIdentifiers(['ari.example.test']), {
    client,
    solvers,
    replaces: id,
  })
  assert.equal(second.replaced, id)
  assert.deepEqual(front.replaces, [id])

  // RFC 9773 §5: a certificate already replaced → order again without `replaces`, and say so.
  front.failReplaces(1)
  const events: ObtainProgress[] = []
  const third = await obtain(parseIdentifiers(['ari.example.test']), {
    client,
    solvers,
    replaces: certId(second.certificatePem),
    onProgress: (e) => events.push(e),
  })
  assert.equal(third.replaced, undefined)
  assert.ok(events.some((e) => e.step === 'replaces-dropped'))

  // A rate limit on finalize with Retry-After 1 is waited out; the order still completes.
  front.fault({ endpoint: 'finalize', kind: 'rateLimited', retryAfterSeconds: 1 })
  const started = Date.now()
  const fourth = await obtain(parseIdentifiers(['limited.example.test']), { client, solvers })
  assert.ok(Date.now() - started >= 1000, 'waited for Retry-After')
  opensslVerify(fourth.certificatePem, root, { name: 'limited.example.test' })
  assert.equal(
    front.requests.filter((r) => r.endpoint === 'finalize' && r.status === 429).length,
    1,
  )

  // An unknown profile is refused before an order is made, naming what the CA offers.
  await assert.rejects(
    obtain(parseIdentifiers(['p.example.test']), { client, solvers, profile: 'tlsserver' }),
    (err: Error & { code?: string }) =>
      err.code === 'ERR_UNSUPPORTED' &&
      /classic/.test(err.message) &&
      /shortlived/.test(err.message),
  )
})
