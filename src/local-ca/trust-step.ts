/** What `trust`/`untrust` did to one trust store, in words a user can act on. */
export interface TrustStep {
  /** Which kind of store: a system store (`debian`, `fedora`, `macos`) or an NSS database (`nss`). */
  store: 'debian' | 'fedora' | 'macos' | 'system' | 'nss'
  /** The file, keychain or database touched (or that would have been). */
  target: string
  /**
   * `done`: changed; `skipped`: nothing to do, or not possible here (the message says why);
   * `failed`: tried and failed (the message says what to do); `dry-run`: what would be done.
   */
  status: 'done' | 'skipped' | 'failed' | 'dry-run'
  /** One line, e.g. `added to NSS database sql:/root/.pki/nssdb`. */
  message: string
}
