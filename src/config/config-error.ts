import { GatehouseError } from '../errors.js'

/** Where a bad setting was found, kept as data beside the one-line message. */
export interface ConfigErrorDetail {
  /** The key path, as in the `sources` map (`site[0].route[1].max_body`). */
  key?: string
  /** The configuration file, as the user named it. */
  file?: string
  /** 1-based line in `file`. */
  line?: number
  /** The environment variable or flag (`--https-port`) the bad value came from. */
  from?: string
}

/** A configuration that cannot be used: bad TOML, an unknown key, a bad value, an unset `$VAR`. */
export class ConfigError extends GatehouseError {
  readonly key: string | undefined
  readonly file: string | undefined
  readonly line: number | undefined
  readonly from: string | undefined

  constructor(message: string, detail: ConfigErrorDetail = {}, options?: { cause?: unknown }) {
    super('ERR_CONFIG', message, options)
    this.key = detail.key
    this.file = detail.file
    this.line = detail.line
    this.from = detail.from
  }
}
