import { randomBytes, webcrypto } from 'node:crypto'
import { exportPrivateKeyPem, generateKey } from '../crypto/keys.js'
import { toWebKeyPair } from '../crypto/web-key-pair.js'
import { loadX509 } from '../crypto/load-x509.js'
import { parseIdentifiers } from '../issuance/identifiers.js'

/**
 * A self-signed certificate for `names` (the last-resort default of issue 3 §2: served for names
 * nothing else covers when they are not local, so a client gets a certificate error rather than a
 * handshake failure). P-256, valid one year from `now`.
 */
export async function createSelfSigned(
  names: readonly string[],
  now = new Date(),
): Promise<{ certificatePem: string; privateKeyPem: string }> {
  const x509 = await loadX509()
  const key = await generateKey('ec256')
  const { keys, signingAlgorithm } = await toWebKeyPair(key)
  const ids = parseIdentifiers(names)
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: `01${randomBytes(15).toString('hex')}`,
      name: `CN=${ids.find((i) => i.type === 'dns')?.value ?? 'gatehouse default'}`,
      notBefore: new Date(now.getTime() - 3600_000),
      notAfter: new Date(now.getTime() + 365 * 86400_000),
      signingAlgorithm,
      keys,
      extensions: [
        new x509.SubjectAlternativeNameExtension(
          ids.map((i) => ({ type: i.type === 'ip' ? 'ip' : 'dns', value: i.value })),
        ),
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      ],
    },
    webcrypto,
  )
  return { certificatePem: cert.toString('pem'), privateKeyPem: exportPrivateKeyPem(key) }
}
