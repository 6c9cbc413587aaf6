import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FileStorage } from '../../src/storage/index.js'
import { storageConformance } from '../../src/testing/storage-conformance.js'

storageConformance('FileStorage', async () => {
  const root = await mkdtemp(join(tmpdir(), 'gatehouse-storage-'))
  return {
    storage: new FileStorage({ root: join(root, 'store') }),
    cleanup: () => rm(root, { recursive: true, force: true }),
  }
})
