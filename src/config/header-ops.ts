/**
 * `header_up` / `header_down`: headers set or removed on the way to the upstream or back to the client.
 * Either a table, `{ set = { "X-Name" = "value" }, remove = ["Server"] }`, or the CLI's Caddy-like
 * strings: `"+X-Name value"` or `"X-Name value"` sets, `"-Server"` removes.
 */
import type { HeaderOps } from '../proxy/types.js'
import { isTable, show, table, type TomlOut } from './value-types.js'
import type { Where } from './where.js'
import { HOP_BY_HOP } from '../proxy/forward-headers.js'

// RFC 9110 §5.1: a field name is a token.
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/**
 * Framing and connection headers are the proxy's own (RFC 9112 §6, §7; RFC 9110 §7.6.1): letting a
 * route set them would let a configuration desynchronise the framing between proxy and upstream.
 */
const RESERVED: ReadonlySet<string> = new Set([...HOP_BY_HOP, 'content-length'])

/** Parses a `header_up`/`header_down` value (table, string, or list of strings). */
export function parseHeaderOps(raw: unknown, where: Where): HeaderOps {
  const ops: HeaderOps = { set: {}, remove: [] }
  if (typeof raw === 'string' || Array.isArray(raw)) {
    const items: unknown[] = Array.isArray(raw) ? raw : [raw]
    items.forEach((item, i) => applyString(ops, item, Array.isArray(raw) ? where.at(i) : where))
    return ops
  }
  if (!isTable(raw))
    return where.fail(
      `${show(raw)} is not a table { set, remove } or a list of "+Name value"/"-Name"`,
    )
  const t = table(raw, where, ['set', 'remove'])
  if (t.set !== undefined) {
    const set = table(t.set, where.at('set'), Object.keys(t.set as object))
    for (const [name, value] of Object.entries(set)) {
      const w = where.at('set').at(name)
      ops.set[headerName(name, w)] = headerValue(value, w)
    }
  }
  if (t.remove !== undefined) {
    const list: unknown[] = Array.isArray(t.remove) ? t.remove : [t.remove]
    list.forEach((name, i) => {
      const w = Array.isArray(t.remove) ? where.at('remove').at(i) : where.at('remove')
      ops.remove.push(
        headerName(
          typeof name === 'string' ? name : w.fail(`${show(name)} is not a header name`),
          w,
        ),
      )
    })
  }
  return ops
}

function applyString(ops: HeaderOps, item: unknown, where: Where): void {
  if (typeof item !== 'string') return where.fail(`${show(item)} is not "+Name value" or "-Name"`)
  const s = item.trim()
  if (s.startsWith('-')) {
    ops.remove.push(headerName(s.slice(1).trim(), where))
    return
  }
  const m = /^\+?(\S+)\s+(.*)$/.exec(s)
  if (!m) return where.fail(`${show(item)} is not "+Name value", "Name value" or "-Name"`)
  ops.set[headerName(m[1] ?? '', where)] = headerValue(m[2] ?? '', where)
}

function headerName(name: string, where: Where): string {
  if (!TOKEN.test(name))
    where.fail(`${JSON.stringify(name)} is not a header name (RFC 9110 §5.1 token)`)
  const lower = name.toLowerCase()
  if (RESERVED.has(lower))
    where.fail(
      `${name} is a framing or connection header the proxy manages itself; it cannot be changed`,
    )
  return lower
}

function headerValue(value: unknown, where: Where): string {
  if (typeof value !== 'string') return where.fail(`${show(value)} is not a string`)
  // RFC 9110 §5.5: CR, LF and NUL are never allowed in a field value.
  if (/[\0\r\n]/.test(value)) where.fail(`${show(value)} holds CR, LF or NUL`)
  return value.trim()
}

/** Back to TOML for `gatehouse config`; undefined when there is nothing to do. */
export function formatHeaderOps(ops: HeaderOps): TomlOut | undefined {
  const out: Record<string, TomlOut> = {}
  if (Object.keys(ops.set).length > 0) out.set = { ...ops.set }
  if (ops.remove.length > 0) out.remove = [...ops.remove]
  return Object.keys(out).length > 0 ? out : undefined
}
