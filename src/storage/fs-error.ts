import { GatehouseError } from '../errors.js'

/** The errno code of a Node file-system error, if it is one. */
export function errnoCode(err: unknown): string | undefined {
  if (err instanceof Error && 'code' in err && typeof err.code === 'string') return err.code
  return undefined
}

/**
 * Turns a file-system failure into ERR_STORAGE naming the path and what the operator can do about
 * it. `action` reads as a verb phrase: "write", "read", "create the folder".
 */
export function storageError(err: unknown, action: string, path: string): GatehouseError {
  const code = errnoCode(err)
  const head = `cannot ${action} ${path}`
  let message: string
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      message = `${head}: permission denied; check the owner and mode of ${path} and its folders`
      break
    case 'ENOSPC':
      message = `${head}: no space left on the device; free some disk space`
      break
    case 'EDQUOT':
      message = `${head}: disk quota exceeded; free space or raise the quota`
      break
    case 'EROFS':
      message = `${head}: the file system is read-only; point the storage root at a writable folder`
      break
    case 'ENOTDIR':
    case 'EISDIR':
    case 'EEXIST':
      message = `${head}: a key holds a value or other keys, not both (${code})`
      break
    default:
      message = `${head}: ${err instanceof Error ? err.message : String(err)}`
  }
  return new GatehouseError('ERR_STORAGE', message, { cause: err })
}
