import { splitPemChain } from '../crypto/pem.js'
import { FileStorage } from '../storage/file-storage.js'

/** The files `--export DIR` writes, named as certbot names them in `live/<name>/`. */
export interface ExportedFiles {
  cert: string
  chain: string
  fullchain: string
  privkey: string
}

/**
 * Writes `cert.pem` (leaf), `chain.pem` (intermediates), `fullchain.pem` (both) and `privkey.pem`
 * (0600) into `dir`, each atomically, so a web server reloading mid-export never reads half a file.
 */
export async function exportCertificate(
  dir: string,
  certificatePem: string,
  privateKeyPem: string,
): Promise<ExportedFiles> {
  const [leaf, ...chain] = splitPemChain(certificatePem)
  if (!leaf) throw new TypeError('exportCertificate() needs a PEM certificate chain')
  const files = new FileStorage({ root: dir })
  await files.put('privkey.pem', privateKeyPem, { private: true })
  await files.put('cert.pem', leaf)
  await files.put('chain.pem', chain.join(''))
  await files.put('fullchain.pem', [leaf, ...chain].join(''))
  return {
    cert: `${dir}/cert.pem`,
    chain: `${dir}/chain.pem`,
    fullchain: `${dir}/fullchain.pem`,
    privkey: `${dir}/privkey.pem`,
  }
}
