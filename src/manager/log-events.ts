import type { Logger } from '../logger.js'
import type { FolderEvent } from './certificate-folder.js'
import type { CertificateSummary, ManagerEvent } from './manager-events.js'

/**
 * One log line per lifecycle event (issue 3 §3), a constant `msg` and the variable parts as fields.
 * Only public facts are logged (names, serials, dates, files, error messages): never a key, and never
 * a certificate's PEM, so a log cannot leak what the certificate's key would protect.
 */
export function logManagerEvent(logger: Logger, event: ManagerEvent): void {
  const name = event.name
  switch (event.type) {
    case 'loaded':
      return logger.info('certificate loaded from storage', { name, ...facts(event.certificate) })
    case 'obtained':
      return logger.info('certificate obtained', { name, ...facts(event.certificate) })
    case 'renewed':
      return logger.info('certificate renewed', {
        name,
        ...facts(event.certificate),
        previousSerial: event.previous.serialHex,
        ...(event.replaces !== undefined ? { replaces: event.replaces } : {}),
      })
    case 'renewal_failed': {
      // Without a certificate to fall back on, the name is not served: an error, not a warning.
      const fields = {
        name,
        error: event.error,
        attempt: event.attempt,
        nextAttempt: event.nextAttempt.toISOString(),
        hasCertificate: event.hasCertificate,
      }
      if (event.hasCertificate) return logger.warn('certificate renewal failed', fields)
      return logger.error('certificate renewal failed', fields)
    }
    case 'expiring_soon':
      return logger.warn('certificate expiring soon', { name, ...facts(event.certificate) })
    case 'renewal_declined':
      return logger.warn('certificate renewal declined by the on-demand policy', {
        name,
        ...facts(event.certificate),
        reason: event.reason,
      })
    case 'released':
      return logger.info('certificate expired and released', { name, ...facts(event.certificate) })
  }
}

/** Certificate folder and explicit files: loaded, refused (with the file and why), removed. */
export function logFileEvent(logger: Logger, event: FolderEvent): void {
  switch (event.type) {
    case 'loaded':
      return logger.info('certificate loaded from file', {
        file: event.file,
        name: event.name,
        notAfter: event.notAfter.toISOString(),
      })
    case 'refused':
      return logger.warn('certificate file refused', {
        file: event.file,
        name: event.name,
        reason: event.reason,
      })
    case 'removed':
      return logger.info('certificate file removed', { file: event.file, name: event.name })
  }
}

function facts(c: CertificateSummary): Record<string, string> {
  return { serial: c.serialHex, notAfter: c.notAfter.toISOString() }
}
