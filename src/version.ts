import { readFileSync } from 'node:fs'

/** This package's version, read once from package.json. */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
).version

/** The User-Agent sent to ACME servers (RFC 8555 §6.1 asks clients to send one). */
export const USER_AGENT = `gatehouse/${VERSION} (+https://www.npmjs.com/package/gatehouse) node/${process.versions.node}`
