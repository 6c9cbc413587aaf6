import type { Clock } from '../clock.js'
import type { KeyType } from '../crypto/keys.js'
import type { Logger } from '../logger.js'
import type { FolderEvent } from '../manager/certificate-folder.js'
import type { ManagerEvent } from '../manager/manager-events.js'
import type { OnDemandOptions } from '../manager/on-demand.js'
import type { GatewayLimits } from '../proxy/types.js'
import type { Storage } from '../storage/storage.js'
import { rejectUnknownKeys } from '../_internal/suggest.js'
import type { HstsOptions, ListenerOptions } from './https-server-options.js'

export interface CreateServerOptions {
  /**
   * Names to serve and manage. Default: the machine's hostname and `www.<hostname>`, or none when
   * `onDemand` is given.
   */
  domains?: string[]
  /** ACME account contact. */
  email?: string
  /** The ACME CA for names that are not local (local names get local-CA certificates). */
  acme?: {
    /** `letsencrypt` (default), `letsencrypt-staging` or a directory URL. */
    directory?: string
    /** Path of a PEM to trust for the CA's own HTTPS (a test CA such as Pebble). */
    caCert?: string
    profile?: string
    keyType?: KeyType
    eab?: { kid: string; hmacKey: string }
  }
  /** Home folder: account, certificates, local CA. Default `~/.gatehouse` (or `GATEHOUSE_HOME`). */
  home?: string
  /** Storage instead of files under `home` (for a shared store). */
  storage?: Storage
  /** The certificate folder looked up by name; `false` turns the lookup off. Default `<home>/certificates`. */
  certDir?: string | false
  /** Certificate and key files served first, each for the names in its certificate; watched for replacement. */
  tlsFiles?: { cert: string; key: string }[]
  /**
   * Obtain a certificate at the first handshake for a name nothing else covers, when this policy
   * allows it (allow-list, ask URL, decide; see OnDemandOptions). Default: no on-demand issuance.
   */
  onDemand?: OnDemandOptions
  /** Structured log of certificate events and on-demand decisions. Default: none. */
  logger?: Logger
  https?: ListenerOptions
  http?: ListenerOptions
  hsts?: boolean | HstsOptions
  /**
   * Offer HTTP/2 to clients that ask for it. Default true. Set `false` for Express (4 and 5), which
   * breaks on Node's HTTP/2 compatibility objects: every client then gets HTTP/1.1.
   */
  http2?: boolean
  clock?: Clock
  onEvent?: (event: ManagerEvent | FolderEvent) => void
  /** Header, URL and timeout limits when `app` is a Gateway (see src/server/gateway-listeners.ts). */
  limits?: Partial<GatewayLimits>
}

const OPTION_KEYS: readonly string[] = [
  'domains',
  'email',
  'acme',
  'home',
  'storage',
  'certDir',
  'tlsFiles',
  'https',
  'http',
  'hsts',
  'http2',
  'clock',
  'onEvent',
  'limits',
  'onDemand',
  'logger',
]

/** Unknown keys are refused with a suggestion: a typo (`domain`) must not silently change what is served. */
export function checkOptionKeys(options: CreateServerOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError("createServer() needs an options object, e.g. { domains: ['example.com'] }")
  }
  rejectUnknownKeys(options, OPTION_KEYS, 'createServer()')
}
