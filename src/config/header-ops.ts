/**
 * `header_up` / `header_down`: headers set or removed on the way to the upstream or back to the client.
 * Either a table, `{ set = { "X-Name" = "value" }, remove = ["Server"] }`, or the CLI's Caddy-like
 * strings: `"+X-Name value"` or `"X-Name value"` sets, `"-Server"` removes.
 */
import { headerNameProblem, headerValueProblem } from '../proxy/header-ops-check.js'
import type { HeaderOps } from '../proxy/types.js'
import { isTable, show, table, type TomlOut } from './value-types.js'
import type { Where } from './where.js'

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

// The rules are the proxy's (header-ops-check.ts), which checks library routes too; here they are
// reported at the key in the file.
function headerName(name: string, where: Where): string {
  const problem = headerNameProblem(name)
  if (problem !== undefined) where.fail(problem)
  return name.toLowerCase()
}

function headerValue(value: unknown, where: Where): string {
  if (typeof value !== 'string') return where.fail(`${show(value)} is not a string`)
  const problem = headerValueProblem(value)
  if (problem !== undefined) where.fail(problem)
  return value.trim()
}

/** Back to TOML for `gatehouse config`; undefined when there is nothing to do. */
export function formatHeaderOps(ops: HeaderOps): TomlOut | undefined {
  const out: Record<string, TomlOut> = {}
  if (Object.keys(ops.set).length > 0) out.set = { ...ops.set }
  if (ops.remove.length > 0) out.remove = [...ops.remove]
  return Object.keys(out).length > 0 ? out : undefined
}
