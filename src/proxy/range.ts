/**
 * `Range: bytes=…` (RFC 9110 §14.1.2) for one range. Several ranges are answered with the whole
 * representation (RFC 9110 §14.2 lets a server ignore Range), which avoids multipart bodies and the
 * many-small-ranges amplification.
 */

/** The inclusive byte span, `unsatisfiable` (416), or undefined to ignore the header (send 200). */
export function parseRange(
  header: string,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  const m = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/.exec(header)
  if (!m) return undefined
  const [, first = '', last = ''] = m
  if (first === '' && last === '') return undefined
  if (first === '') {
    // Suffix range: the last N bytes.
    const n = Number(last)
    if (n === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - n), end: size - 1 }
  }
  const start = Number(first)
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1)
  if (last !== '' && Number(last) < start) return undefined
  if (start >= size) return 'unsatisfiable'
  return { start, end }
}
