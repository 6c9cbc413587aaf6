export type { Lock, Storage, StorageStat } from './storage.js'
export { MAX_KEY_PART_BYTES, safeKeyPart, validateKey } from './keys.js'
export { FileStorage, type FileStorageOptions } from './file-storage.js'
export { MemoryStorage, type MemoryStorageOptions } from './memory-storage.js'
export {
  DEFAULT_LOCK_TTL_MS,
  DEFAULT_LOCK_WAIT_MS,
  MAX_LOCK_ATTEMPTS,
  MAX_LOCK_POLL_MS,
} from './lease.js'
