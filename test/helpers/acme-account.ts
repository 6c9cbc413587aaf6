import { AcmeClient } from '../../src/acme/client.js'
import { generateKey } from '../../src/crypto/keys.js'

/**
 * A client with a fresh P-256 account registered at `directoryUrl` (Pebble, or an ACME front before
 * it), trusting `caPem` for the CA's HTTPS; closed when the test ends.
 */
export async function newAccountClient(
  t: { after(fn: () => unknown): void },
  directoryUrl: string,
  caPem: string,
): Promise<AcmeClient> {
  const client = new AcmeClient({
    directoryUrl,
    accountKey: await generateKey('ec256'),
    caCerts: [caPem],
  })
  t.after(() => client.close())
  await client.newAccount({ termsOfServiceAgreed: true })
  return client
}
