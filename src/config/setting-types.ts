/** The setting values with rules of their own: ACME directory, HSTS, certificate files, workers, access log. */
import { resolveDirectoryUrl } from '../manager/ca-directories.js'
import { formatDuration } from './duration.js'
import type { TlsConfig } from './types.js'
import { bool, duration, int, path, show, table, text, type ValueType } from './value-types.js'

type Hsts = TlsConfig['hsts']

const YEAR_SECONDS = 365 * 86_400

/**
 * `false`, `true` (one year), a max-age (`"365d"`), or `{ max_age, include_subdomains, preload }`.
 * RFC 6797 §6.1; preloading (hstspreload.org) needs includeSubDomains and a max-age of a year or more.
 */
export const hsts: ValueType<Hsts> = {
  hint: 'false, true, a max-age like "365d", or { max_age, include_subdomains, preload }',
  parse(raw, where) {
    if (
      raw === false ||
      raw === true ||
      (where.text && typeof raw === 'string' && /^(true|false|on|off|1|0|yes|no)$/i.test(raw))
    ) {
      return bool.parse(raw, where)
        ? { maxAgeSeconds: YEAR_SECONDS, includeSubDomains: false, preload: false }
        : false
    }
    if (typeof raw === 'string')
      return {
        maxAgeSeconds: seconds(duration.parse(raw, where)),
        includeSubDomains: false,
        preload: false,
      }
    const t = table(raw, where, ['max_age', 'include_subdomains', 'preload'])
    const value = {
      maxAgeSeconds:
        t.max_age === undefined
          ? YEAR_SECONDS
          : seconds(duration.parse(t.max_age, where.at('max_age'))),
      includeSubDomains:
        t.include_subdomains === undefined
          ? false
          : bool.parse(t.include_subdomains, where.at('include_subdomains')),
      preload: t.preload === undefined ? false : bool.parse(t.preload, where.at('preload')),
    }
    if (value.preload && (!value.includeSubDomains || value.maxAgeSeconds < YEAR_SECONDS))
      where
        .at('preload')
        .fail('preload needs include_subdomains = true and a max_age of at least 365d')
    return value
  },
  format(v) {
    if (v === false) return false
    const maxAge = formatDuration(v.maxAgeSeconds * 1000)
    if (!v.includeSubDomains && !v.preload) return maxAge
    return { max_age: maxAge, include_subdomains: v.includeSubDomains, preload: v.preload }
  },
}

function seconds(ms: number): number {
  return Math.floor(ms / 1000)
}

/** `[[tls.files]]`: `cert` and `key` PEM files. */
export const tlsFiles: ValueType<{ cert: string; key: string }[]> = {
  hint: 'an array of { cert, key } tables',
  parse(raw, where) {
    if (!Array.isArray(raw))
      return where.fail(`${show(raw)} is not an array of tables ([[tls.files]])`)
    return raw.map((item, i) => {
      const w = where.at(i)
      const t = table(item, w, ['cert', 'key'])
      if (t.cert === undefined || t.key === undefined)
        w.fail(`a certificate file entry needs both \`cert\` and \`key\``)
      return { cert: path.parse(t.cert, w.at('cert')), key: path.parse(t.key, w.at('key')) }
    })
  },
  format: (v) => v.map((f) => ({ cert: f.cert, key: f.key })),
}

const count = int(1, 1024)

/** A number of worker processes, or `"auto"`: one per CPU. */
export const workers: ValueType<number> = {
  hint: '1 to 1024, or "auto" for one per CPU',
  parse(raw, where) {
    if (raw === 'auto') return Math.max(1, where.state.cpus)
    if (typeof raw === 'string' && !where.text)
      where.fail(`${show(raw)} is not allowed; give 1 to 1024 or "auto"`)
    return count.parse(raw, where)
  },
  format: (v) => v,
}

/** `letsencrypt`, `letsencrypt-staging` or an https: directory URL, kept as written. */
export const acmeDirectory: ValueType<string> = {
  hint: 'letsencrypt, letsencrypt-staging or an https:// directory URL',
  parse(raw, where) {
    const value = text.parse(raw, where)
    try {
      resolveDirectoryUrl(value)
    } catch (err) {
      where.fail((err as Error).message)
    }
    return value
  },
  format: (v) => v,
}

/** `stdout`, `off` (or `false`), or a file path. */
export const accessLog: ValueType<string> = {
  hint: '"stdout", "off" or a file path',
  parse: (raw, where) =>
    raw === 'stdout' || raw === 'off' ? raw : raw === false ? 'off' : path.parse(raw, where),
  format: (v) => v,
}
