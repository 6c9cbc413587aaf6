/**
 * An independent, deliberately strict reader of the HTTP/1.1 byte stream an upstream received
 * (RFC 9112), for the smuggling tests: it finds every request and reports anything a lenient or
 * differently-lenient parser could read another way.
 */

export interface ReadRequest {
  method: string
  target: string
  headers: [string, string][]
  /** False when the stream ended inside the body (the sender aborted it). */
  complete: boolean
}

export interface StreamReport {
  requests: ReadRequest[]
  /** Ambiguities found; empty when every request has one unambiguous reading. */
  problems: string[]
}

const TOKEN = /^[!#$%&'*+\-.^`|~0-9A-Za-z]+$/
const VALUE = /^[\t\x20-\x7e\x80-\xff]*$/

export function readUpstreamStream(bytes: string): StreamReport {
  const requests: ReadRequest[] = []
  const problems: string[] = []
  let at = 0
  while (at < bytes.length) {
    const end = bytes.indexOf('\r\n\r\n', at)
    // A head cut off by a closed connection is not a request anyone acted on.
    if (end < 0) break
    const lines = bytes.slice(at, end).split('\r\n')
    const req = readHead(lines, problems)
    requests.push(req)
    at = end + 4
    const next = readBody(bytes, at, req, problems)
    if (next === undefined) {
      req.complete = false
      break
    }
    at = next
  }
  return { requests, problems }
}

function readHead(lines: string[], problems: string[]): ReadRequest {
  const [line = '', ...fields] = lines
  const m = /^([A-Z]+) (\S+) HTTP\/1\.1$/.exec(line)
  if (!m) problems.push(`bad request line ${JSON.stringify(line)}`)
  const headers: [string, string][] = []
  for (const f of fields) {
    if (/^[ \t]/.test(f)) problems.push(`obs-fold ${JSON.stringify(f)}`)
    const colon = f.indexOf(':')
    const name = f.slice(0, colon)
    const value = f.slice(colon + 1).trim()
    if (colon <= 0 || !TOKEN.test(name)) problems.push(`bad field name ${JSON.stringify(f)}`)
    if (name.includes('_')) problems.push(`underscore in ${name}`)
    if (!VALUE.test(value) || value.includes('\r') || value.includes('\n'))
      problems.push(`bad value in ${JSON.stringify(f)}`)
    headers.push([name.toLowerCase(), value])
  }
  const req = { method: m?.[1] ?? '', target: m?.[2] ?? '', headers, complete: true }
  const count = (n: string): number => headers.filter(([k]) => k === n).length
  if (count('host') !== 1) problems.push(`${count('host')} Host fields`)
  if (count('content-length') > 1) problems.push('several Content-Length fields')
  if (count('transfer-encoding') > 1) problems.push('several Transfer-Encoding fields')
  const te = headers.find(([k]) => k === 'transfer-encoding')?.[1]
  if (te !== undefined && te !== 'chunked') problems.push(`Transfer-Encoding ${te}`)
  if (te !== undefined && count('content-length') > 0)
    problems.push('Transfer-Encoding and Content-Length')
  const cl = headers.find(([k]) => k === 'content-length')?.[1]
  if (cl !== undefined && !/^\d+$/.test(cl)) problems.push(`Content-Length ${cl}`)
  for (const [k, v] of headers) {
    if (k === 'upgrade' && !/^websocket$/i.test(v)) problems.push(`Upgrade ${v}`)
    if (k === 'http2-settings') problems.push('HTTP2-Settings forwarded')
  }
  return req
}

/** Index after the body, or undefined when the stream ends inside it. */
function readBody(
  bytes: string,
  at: number,
  req: ReadRequest,
  problems: string[],
): number | undefined {
  const get = (n: string): string | undefined => req.headers.find(([k]) => k === n)?.[1]
  if (get('transfer-encoding') === 'chunked') {
    for (;;) {
      const eol = bytes.indexOf('\r\n', at)
      if (eol < 0) return undefined
      const size = bytes.slice(at, eol)
      if (!/^[0-9a-fA-F]{1,8}$/.test(size)) {
        problems.push(`chunk size ${JSON.stringify(size)}`)
        return undefined
      }
      const n = parseInt(size, 16)
      at = eol + 2
      if (n === 0) {
        // undici sends no trailers: the last chunk is followed by an empty line.
        if (bytes.slice(at, at + 2) !== '\r\n')
          problems.push('trailer section after the last chunk')
        return at + 2
      }
      if (bytes.length < at + n + 2) return undefined
      if (bytes.slice(at + n, at + n + 2) !== '\r\n')
        problems.push('chunk data not followed by CRLF')
      at += n + 2
    }
  }
  const cl = Number(get('content-length') ?? '0')
  return bytes.length < at + cl ? undefined : at + cl
}
