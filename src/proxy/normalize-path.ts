/**
 * The path a request is routed on, and forwarded with: dot-segments removed (RFC 3986 §5.2.4) and
 * empty segments merged, so `/public/../private` is routed (and forwarded) as `/private`, and
 * `//admin` as `/admin`, never to the route of a prefix the path only appears to start with. Pure.
 *
 * Choices, as nginx (`merge_slashes on`, the normalised URI sent to a `proxy_pass` with a URI part)
 * and Caddy (matching and forwarding on the cleaned path) make them:
 * - The upstream gets the normalised path, the one routing saw: an upstream never resolves a `..`
 *   the proxy did not (the traversal through a prefix that nginx configurations without a URI part
 *   are known for).
 * - Percent-encodings are left as sent. `%2e` counts as `.` for the dot-segment test only (RFC 3986
 *   §6.2.2.2: an encoded unreserved character means the character); `%2f` is never decoded, so an
 *   encoded slash stays inside its segment.
 * - Refused (400) rather than guessed: a path climbing above the root (`/..`, `/a/../..`), where
 *   RFC 3986 would quietly stop at the root; a fragment (`#`), which origin-form has no place for
 *   (RFC 9112 §3.2.1); and a segment that one upstream reads as a dot-segment and another does not:
 *   `..;x` (Tomcat drops path parameters first), `..%2f` and `..%5c` (servers that decode before
 *   splitting), `..\` (servers that treat `\` as `/`).
 * - The query (from the first `?`) is copied untouched.
 */

/** Why a request-target cannot be routed; answered with 400. */
export interface PathRefusal {
  refused: string
}

/**
 * `target` is an origin-form request-target (`/path?query`, starting with `/`). Returns it with its
 * path normalised (the same string when there was nothing to change), or why it is refused.
 */
export function normalizeTarget(target: string): string | PathRefusal {
  const q = target.indexOf('?')
  const path = q < 0 ? target : target.slice(0, q)
  if (isPlain(path)) return target
  const normal = normalizePath(path)
  if (typeof normal !== 'string') return normal
  if (normal === path) return target
  return q < 0 ? normal : normal + target.slice(q)
}

export function isPathRefusal(r: string | PathRefusal): r is PathRefusal {
  return typeof r !== 'string'
}

/**
 * The hot path: most paths (`/api/v1/users`, `/static/app.3f2a.js`) have nothing to normalise. A
 * dot-segment starts with `.` right after `/` or holds `%2e`; an ambiguous segment needs `%`, `\`
 * or `;`. Paths with none of those, no `#` and no `//` are returned as they are.
 */
function isPlain(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i)
    if (c === 0x25 /* % */ || c === 0x5c /* \ */ || c === 0x23 /* # */ || c === 0x3b /* ; */)
      return false
    if (c === 0x2f /* / */) {
      const next = path.charCodeAt(i + 1)
      if (next === 0x2f /* / */ || next === 0x2e /* . */) return false
    }
  }
  return true
}

function normalizePath(path: string): string | PathRefusal {
  if (path.includes('#')) return { refused: 'a fragment (#) has no place in a request-target' }
  const segments = path.split('/')
  const out: string[] = []
  // Whether the result ends with `/`: `/a/b/..` is `/a/`, as in RFC 3986 §5.4.1's `g/..` examples.
  let slash = false
  // segments[0] is the empty string before the leading `/`.
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i] as string
    const dots = seg === '' ? 0 : dotSegment(seg)
    slash = seg === '' || dots > 0
    if (seg === '' || dots === 1) continue
    if (dots === 2) {
      if (out.length === 0) return { refused: `path ${clip(path)} climbs above the root` }
      out.pop()
      continue
    }
    if (ambiguous(seg))
      return {
        refused: `path segment ${clip(seg)} is ambiguous: some servers read a dot-segment in it`,
      }
    out.push(seg)
  }
  if (out.length === 0) return '/'
  return `/${out.join('/')}${slash ? '/' : ''}`
}

/** 1 for `.`, 2 for `..` (either dot possibly written `%2e`/`%2E`), else 0. */
function dotSegment(seg: string): number {
  if (seg.length > 6) return 0
  const plain = seg.length === 1 || seg.length === 2 ? seg : seg.replace(/%2e/gi, '.')
  return plain === '.' ? 1 : plain === '..' ? 2 : 0
}

/**
 * A segment that holds a dot-segment once `%2e`, `%2f`, `%5c` are decoded and it is split on `/`,
 * `\` and `;` (path parameters): upstreams differ on which of those steps they take.
 */
function ambiguous(seg: string): boolean {
  if (!seg.includes('.') && !/%2e/i.test(seg)) return false
  const decoded = seg.replace(/%2e/gi, '.').replace(/%2f/gi, '/').replace(/%5c/gi, '\\')
  return decoded.split(/[/\\;]/).some((piece) => piece === '.' || piece === '..')
}

/** A value quoted in a message, cut so a long path cannot flood a log line. */
function clip(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value)
}
