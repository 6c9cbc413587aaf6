/**
 * Finds where one HTTP/1.1 response ends in the bytes of a keep-alive connection, for the open-loop
 * generator: the status code, then a body framed by Content-Length or chunked (RFC 9112 §6.3). Only
 * what a benchmark needs: no trailers kept, no body kept, a response to a GET.
 */

const CRLFCRLF = Buffer.from('\r\n\r\n')
const LAST_CHUNK = Buffer.from('\r\n0\r\n\r\n')

export class ResponseReader {
  #head: Buffer | undefined
  #status = 0
  /** Body bytes still expected (Content-Length), or -1 when chunked. */
  #remaining = 0
  /** The tail of a chunked body seen so far, to find the last chunk across reads. */
  #tail: Buffer = Buffer.alloc(0)
  #inBody = false
  /** The server said `Connection: close` (or answered HTTP/1.0). */
  closeAfter = false

  reset(): void {
    this.#head = undefined
    this.#status = 0
    this.#remaining = 0
    this.#tail = Buffer.alloc(0)
    this.#inBody = false
    this.closeAfter = false
  }

  /** Feeds bytes; returns the status once the response is complete, -1 if it cannot be read. */
  push(chunk: Buffer): number | undefined {
    if (this.#inBody) return this.#body(chunk)
    const head = this.#head ? Buffer.concat([this.#head, chunk]) : chunk
    const end = head.indexOf(CRLFCRLF)
    if (end < 0) {
      this.#head = head
      return head.length > 64 * 1024 ? -1 : undefined
    }
    this.#head = undefined
    if (!this.#parseHead(head.toString('latin1', 0, end))) return -1
    this.#inBody = true
    return this.#body(head.subarray(end + 4))
  }

  #parseHead(text: string): boolean {
    const lines = text.split('\r\n')
    const status = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? '')
    if (!status) return false
    this.#status = Number(status[2])
    this.closeAfter = status[1] === '0'
    let length: number | undefined
    let chunked = false
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string
      const colon = line.indexOf(':')
      const name = line.slice(0, colon).trim().toLowerCase()
      const value = line
        .slice(colon + 1)
        .trim()
        .toLowerCase()
      if (name === 'content-length') length = Number(value)
      else if (name === 'transfer-encoding') chunked = value.endsWith('chunked')
      else if (name === 'connection') this.closeAfter = value.includes('close')
    }
    const bodyless = this.#status === 204 || this.#status === 304 || this.#status < 200
    if (chunked && !bodyless) this.#remaining = -1
    else if (length !== undefined && Number.isSafeInteger(length) && !bodyless)
      this.#remaining = length
    else if (!bodyless) return false // a body up to the close: not something the bench expects
    return true
  }

  #body(chunk: Buffer): number | undefined {
    if (this.#remaining >= 0) {
      this.#remaining -= chunk.length
      if (this.#remaining > 0) return undefined
      return this.#remaining === 0 ? this.#status : -1
    }
    // Chunked: the body ends with the last chunk and an empty trailer section.
    const seen = Buffer.concat([this.#tail, chunk])
    const prefixed = seen.length >= 5 && seen.subarray(0, 5).equals(LAST_CHUNK.subarray(2))
    if (prefixed || seen.subarray(-LAST_CHUNK.length).equals(LAST_CHUNK)) return this.#status
    this.#tail = seen.subarray(-LAST_CHUNK.length)
    return undefined
  }
}
