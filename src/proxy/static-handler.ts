/**
 * A static folder: GET and HEAD, index files, content type by extension, validators and 304
 * (RFC 9110 §8.8, §13), one byte range (RFC 9110 §14). Nothing outside the folder is ever read: the
 * path is resolved under the root, then the real path (symlinks followed) must still be under the
 * root's real path; anything else is 404.
 */
import { open, realpath, stat } from 'node:fs/promises'
import type { IncomingHttpHeaders } from 'node:http'
import { extname, join, resolve, sep } from 'node:path'
import type { Readable } from 'node:stream'
import { contentTypeOf } from './content-types.js'
import { parseRange } from './range.js'
import { sendText, type Reply } from './reply.js'
import type { StaticRoute } from './types.js'

export interface StaticRequest {
  method: string
  /** Path and query as received. */
  path: string
  headers: IncomingHttpHeaders
}

export async function serveStatic(
  reply: Reply,
  req: StaticRequest,
  route: StaticRoute,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return sendText(reply, 405, 'only GET and HEAD are served here\n', {
      headers: ['allow', 'GET, HEAD'],
    })
  }
  const q = req.path.indexOf('?')
  const pathname = q < 0 ? req.path : req.path.slice(0, q)
  const rel = relativePath(pathname, route.path)
  if (rel === undefined) return sendText(reply, 400, 'bad path\n')
  const file = await locate(route, rel)
  if (file === 'directory') {
    // Relative links in an index page resolve against the URL: it must end with a slash.
    const location = `${pathname}/${q < 0 ? '' : req.path.slice(q)}`
    return sendText(reply, 308, `${location}\n`, { headers: ['location', location] })
  }
  if (!file) return sendText(reply, 404, 'not found\n')
  await sendFile(reply, req, file)
}

/** The decoded path below the route prefix, or undefined when it cannot be a file name. */
function relativePath(pathname: string, prefix: string): string | undefined {
  const base = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix
  let decoded: string
  try {
    decoded = decodeURIComponent(pathname.slice(base.length))
  } catch {
    return undefined
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined
  return decoded
}

type Located = { path: string; size: number; mtimeMs: number } | 'directory' | undefined

async function locate(route: StaticRoute, rel: string): Promise<Located> {
  const root = resolve(route.root)
  const candidate = resolve(join(root, rel))
  if (candidate !== root && !candidate.startsWith(root + sep)) return undefined
  const real = await inside(root, candidate)
  if (!real) return undefined
  const st = await stat(real).catch(() => undefined)
  if (st?.isFile()) return { path: real, size: st.size, mtimeMs: st.mtimeMs }
  if (!st?.isDirectory()) return undefined
  if (!rel.endsWith('/')) return 'directory'
  for (const name of route.index) {
    const index = await inside(root, join(real, name))
    const ist = index ? await stat(index).catch(() => undefined) : undefined
    if (index && ist?.isFile()) return { path: index, size: ist.size, mtimeMs: ist.mtimeMs }
  }
  return undefined
}

/** `path`'s real path when it exists and stays under `root`'s real path (no symlink out). */
async function inside(root: string, path: string): Promise<string | undefined> {
  const [realRoot, real] = await Promise.all([
    realpath(root).catch(() => undefined),
    realpath(path).catch(() => undefined),
  ])
  if (!realRoot || !real) return undefined
  return real === realRoot || real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep)
    ? real
    : undefined
}

async function sendFile(
  reply: Reply,
  req: StaticRequest,
  file: { path: string; size: number; mtimeMs: number },
): Promise<void> {
  const etag = `"${file.size.toString(16)}-${Math.floor(file.mtimeMs).toString(16)}"`
  const lastModified = new Date(Math.floor(file.mtimeMs / 1000) * 1000).toUTCString()
  const validators = ['etag', etag, 'last-modified', lastModified]
  if (notModified(req.headers, etag, file.mtimeMs)) {
    reply.head(304, validators)
    reply.end()
    return
  }
  const range = rangeFor(req.headers, etag, lastModified, file.size)
  if (range === 'unsatisfiable') {
    return sendText(reply, 416, 'range not satisfiable\n', {
      headers: ['content-range', `bytes */${file.size}`],
    })
  }
  const headers = [
    'content-type',
    contentTypeOf(extname(file.path)),
    'x-content-type-options',
    'nosniff',
    'accept-ranges',
    'bytes',
    ...validators,
  ]
  const start = range?.start ?? 0
  const end = range?.end ?? file.size - 1
  headers.push('content-length', String(Math.max(0, end - start + 1)))
  if (range) headers.push('content-range', `bytes ${start}-${end}/${file.size}`)
  if (req.method === 'HEAD' || file.size === 0) {
    reply.head(range ? 206 : 200, headers)
    reply.end()
    return
  }
  const handle = await open(file.path, 'r')
  reply.head(range ? 206 : 200, headers)
  pipeToReply(handle.createReadStream({ start, end }), reply)
}

/** RFC 9110 §13.1.2 and §13.1.3: If-None-Match wins over If-Modified-Since. */
function notModified(headers: IncomingHttpHeaders, etag: string, mtimeMs: number): boolean {
  const inm = headers['if-none-match']
  if (inm !== undefined) {
    return inm
      .split(',')
      .map((t) => t.trim().replace(/^W\//, ''))
      .some((t) => t === '*' || t === etag)
  }
  const ims = headers['if-modified-since']
  if (ims === undefined) return false
  const since = Date.parse(ims)
  return !Number.isNaN(since) && Math.floor(mtimeMs / 1000) * 1000 <= since
}

function rangeFor(
  headers: IncomingHttpHeaders,
  etag: string,
  lastModified: string,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  const header = headers.range
  if (header === undefined) return undefined
  // RFC 9110 §13.1.5: a range applies only to the representation the client has.
  const ifRange = headers['if-range']
  if (ifRange !== undefined && ifRange !== etag && ifRange !== lastModified) return undefined
  return parseRange(header, size)
}

function pipeToReply(source: Readable, reply: Reply): void {
  source.on('data', (chunk: Buffer) => {
    if (!reply.write(chunk)) {
      source.pause()
      reply.onceDrain(() => source.resume())
    }
  })
  source.once('end', () => reply.end())
  source.once('error', () => reply.destroy())
  reply.onClose(() => source.destroy())
}
