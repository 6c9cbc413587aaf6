import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseCertificate } from '../../src/crypto/certificate.js'
import { Http01StandaloneSolver } from '../../src/issuance/http-01-solver.js'
import { loadOrCreateAccount } from '../../src/manager/account-store.js'
import { AcmeIssuer, IP_PROFILE } from '../../src/manager/acme-issuer.js'
import { MemoryStorage } from '../../src/storage/memory-storage.js'
import { startAcmeFront } from '../helpers/acme-front.js'
import { startPebble } from '../helpers/pebble.js'

// RFC 8738 certificates from real Pebble through the front, which advertises profiles (Pebble 2.4.0
// has none) and records the profile each newOrder named.
test('AcmeIssuer: an IP certificate asks for the shortlived profile when the CA offers it and none is configured', async (t) => {
  const pebble = await startPebble({ nonceReject: 0 })
  t.after(() => pebble.stop())
  const front = await startAcmeFront(pebble, {
    profiles: { classic: 'the default', [IP_PROFILE]: '6-day certificates' },
  })
  t.after(() => front.close())
  const storage = new MemoryStorage()
  const account = () =>
    loadOrCreateAccount({
      storage,
      directoryUrl: front.directoryUrl,
      caCerts: [pebble.listenerCaPem],
    })
  const client = await account()
  t.after(() => client.close())
  const solvers = [new Http01StandaloneSolver({ host: '127.0.0.1', port: pebble.httpPort })]
  const issuer = new AcmeIssuer({ client, directoryUrl: front.directoryUrl, solvers })

  const ip = await issuer.issue([{ type: 'ip', value: '127.0.0.1' }], {})
  assert.deepEqual(parseCertificate(ip.certificatePem).ipAddresses, ['127.0.0.1'])
  await issuer.issue([{ type: 'dns', value: 'names.example.org' }], {})
  const configured = new AcmeIssuer({
    client,
    directoryUrl: front.directoryUrl,
    solvers,
    profile: 'classic',
  })
  await configured.issue([{ type: 'ip', value: '127.0.0.1' }], {})
  assert.deepEqual(front.orderProfiles, [IP_PROFILE, undefined, 'classic'])

  // A CA without that profile: the order names none (the CA's default), not a profile it refuses.
  front.setProfiles({ classic: 'the default' })
  const fresh = await account() // a new client reads the directory again
  t.after(() => fresh.close())
  await new AcmeIssuer({ client: fresh, directoryUrl: front.directoryUrl, solvers }).issue(
    [{ type: 'ip', value: '127.0.0.1' }],
    {},
  )
  assert.deepEqual(front.orderProfiles, [IP_PROFILE, undefined, 'classic', undefined])
})
