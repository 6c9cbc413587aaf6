/**
 * The request line (RFC 9112 §3): method SP request-target SP HTTP-version, read by hand. Runs of SP
 * are read as one (§3 allows it; the line is rebuilt from its parts, so nothing downstream sees
 * them); no version at all is HTTP/0.9. The same lines as the regular expression
 * `^([A-Z-]+) +([\x21-\x7e]+)(?: +HTTP\/([012]\.\d))?$` (its table test keeps it so), at a third of
 * its cost: no match array, and the common method and version are the program's own strings.
 */

export interface RequestLine {
  method: string
  target: string
  /** `1.1`, `1.0`, …: a major version of 0 to 2, one digit after the dot; `0.9` when none. */
  version: string
}

const SP = 0x20

export function parseRequestLine(line: string): RequestLine | undefined {
  const end = line.length
  let i = 0
  while (i < end && isMethodChar(line.charCodeAt(i))) i++
  if (i === 0 || line.charCodeAt(i) !== SP) return undefined
  const method = i === 3 && line.startsWith('GET') ? 'GET' : line.slice(0, i)
  while (line.charCodeAt(i) === SP) i++
  const from = i
  while (i < end && isTargetChar(line.charCodeAt(i))) i++
  if (i === from) return undefined
  const target = line.slice(from, i)
  if (i === end) return { method, target, version: '0.9' }
  if (line.charCodeAt(i) !== SP) return undefined
  while (line.charCodeAt(i) === SP) i++
  if (end - i !== 8 || !line.startsWith('HTTP/', i)) return undefined
  const major = line.charCodeAt(i + 5)
  const minor = line.charCodeAt(i + 7)
  if (major < 0x30 || major > 0x32 || line.charCodeAt(i + 6) !== 0x2e) return undefined
  if (minor < 0x30 || minor > 0x39) return undefined
  const version = major === 0x31 && minor === 0x31 ? '1.1' : line.slice(i + 5)
  return { method, target, version }
}

/** `[A-Z-]`: the methods llhttp knows are upper case letters and `-`. */
function isMethodChar(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || c === 0x2d
}

/** `[\x21-\x7e]`: visible ASCII, no SP. */
function isTargetChar(c: number): boolean {
  return c >= 0x21 && c <= 0x7e
}
