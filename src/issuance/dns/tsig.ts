/**
 * TSIG transaction signatures (RFC 8945): sign a request, verify the server's answer. Pure functions
 * over bytes; the caller supplies the time so tests and clocks stay in charge of it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import {
  RR_CLASS,
  RR_TYPE,
  canonicalName,
  decodeName,
  encodeMessage,
  encodeName,
  encodeRecord,
  rcodeName,
  type DecodedMessage,
  type DnsMessage,
} from './dns-wire.js'

/** HMAC-SHA256 is the RFC 8945 §6 "mandatory to implement"; the others are for existing keys. */
export type TsigAlgorithm = 'hmac-sha256' | 'hmac-sha512' | 'hmac-sha1'

export interface TsigKey {
  /** The key's name as the server knows it, e.g. `acme-update.` (case-insensitive). */
  name: string
  /** Default `hmac-sha256`. */
  algorithm?: TsigAlgorithm
  /** The shared secret, base64 (as in `tsig-keygen` output). */
  secret: string
}

const HASHES: Readonly<Record<TsigAlgorithm, string>> = Object.freeze({
  'hmac-sha256': 'sha256',
  'hmac-sha512': 'sha512',
  'hmac-sha1': 'sha1',
})

/** Seconds of clock skew allowed each way; 300 is the RFC 8945 §10 recommendation. */
export const TSIG_FUDGE_SECONDS = 300

/** Validates a key once, so a typo fails at construction and not at the first update. */
export function checkTsigKey(key: TsigKey): Required<TsigKey> {
  const algorithm = key.algorithm ?? 'hmac-sha256'
  if (!(algorithm in HASHES)) {
    throw new RangeError(
      `tsig.algorithm "${String(algorithm)}" is not supported; use hmac-sha256, hmac-sha512 or hmac-sha1`,
    )
  }
  if (typeof key.name !== 'string' || key.name === '') {
    throw new TypeError('tsig.name must be the key name the server knows, e.g. "acme-update."')
  }
  if (
    !/^[A-Za-z0-9+/]+={0,2}$/.test(key.secret) ||
    Buffer.from(key.secret, 'base64').length === 0
  ) {
    throw new TypeError('tsig.secret must be the base64 shared secret, as printed by tsig-keygen')
  }
  return { name: canonicalName(key.name), algorithm, secret: key.secret }
}

/** The fields of a TSIG RR's RDATA (RFC 8945 §4.2). */
interface TsigFields {
  algorithm: string
  timeSigned: number
  fudge: number
  mac: Buffer
  originalId: number
  error: number
  other: Buffer
}

function u48(n: number): Buffer {
  const b = Buffer.alloc(6)
  b.writeUInt16BE(Math.floor(n / 2 ** 32), 0)
  b.writeUInt32BE(n % 2 ** 32, 2)
  return b
}

/** The "TSIG variables" that go into the digest after the message (RFC 8945 §4.3.3). */
function digestVariables(keyName: string, f: TsigFields): Buffer {
  const classTtl = Buffer.alloc(6)
  classTtl.writeUInt16BE(RR_CLASS.ANY, 0)
  const tail = Buffer.alloc(4)
  tail.writeUInt16BE(f.error, 0)
  tail.writeUInt16BE(f.other.length, 2)
  const fudge = Buffer.alloc(2)
  fudge.writeUInt16BE(f.fudge, 0)
  return Buffer.concat([
    encodeName(canonicalName(keyName)),
    classTtl,
    encodeName(canonicalName(f.algorithm)),
    u48(f.timeSigned),
    fudge,
    tail,
    f.other,
  ])
}

function tsigRdata(f: TsigFields): Buffer {
  const mid = Buffer.alloc(4)
  mid.writeUInt16BE(f.fudge, 0)
  mid.writeUInt16BE(f.mac.length, 2)
  const tail = Buffer.alloc(6)
  tail.writeUInt16BE(f.originalId, 0)
  tail.writeUInt16BE(f.error, 2)
  tail.writeUInt16BE(f.other.length, 4)
  return Buffer.concat([encodeName(f.algorithm), u48(f.timeSigned), mid, f.mac, tail, f.other])
}

function parseTsigRdata(data: Uint8Array): TsigFields {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  const { name, end } = decodeName(buf, 0)
  const macSize = buf.readUInt16BE(end + 8)
  const afterMac = end + 10 + macSize
  const otherLen = buf.readUInt16BE(afterMac + 4)
  return {
    algorithm: name,
    timeSigned: buf.readUInt16BE(end) * 2 ** 32 + buf.readUInt32BE(end + 2),
    fudge: buf.readUInt16BE(end + 6),
    mac: buf.subarray(end + 10, afterMac),
    originalId: buf.readUInt16BE(afterMac),
    error: buf.readUInt16BE(afterMac + 2),
    other: buf.subarray(afterMac + 6, afterMac + 6 + otherLen),
  }
}

function hmac(key: Required<TsigKey>, parts: Buffer[]): Buffer {
  const h = createHmac(HASHES[key.algorithm], Buffer.from(key.secret, 'base64'))
  for (const p of parts) h.update(p)
  return h.digest()
}

/** A request ready to send, and the MAC the response's MAC is chained to (RFC 8945 §5.3). */
export interface SignedRequest {
  wire: Buffer
  mac: Buffer
}

/**
 * Appends a TSIG RR to `msg` (RFC 8945 §5.1). `nowSeconds` is Unix time. Pass `requestMac` to sign a
 * response instead, chaining it to the request as RFC 8945 §5.3 describes (what a server does).
 */
export function signMessage(
  msg: DnsMessage,
  key: TsigKey,
  nowSeconds: number,
  requestMac?: Buffer,
): SignedRequest {
  const k = checkTsigKey(key)
  const fields: TsigFields = {
    algorithm: `${k.algorithm}.`,
    timeSigned: Math.floor(nowSeconds),
    fudge: TSIG_FUDGE_SECONDS,
    mac: Buffer.alloc(0),
    originalId: msg.id,
    error: 0,
    other: Buffer.alloc(0),
  }
  const mac = hmac(k, [...chain(requestMac), encodeMessage(msg), digestVariables(k.name, fields)])
  const tsig = { name: k.name, type: RR_TYPE.TSIG, class: RR_CLASS.ANY, ttl: 0 }
  const record = encodeRecord({ ...tsig, data: tsigRdata({ ...fields, mac }) })
  const wire = Buffer.concat([encodeMessage(msg), record])
  wire.writeUInt16BE(msg.additionals.length + 1, 10)
  return { wire, mac }
}

/** The request MAC, length first, that a response digest starts with (RFC 8945 §5.3). */
function chain(requestMac: Buffer | undefined): Buffer[] {
  if (requestMac === undefined) return []
  const length = Buffer.alloc(2)
  length.writeUInt16BE(requestMac.length, 0)
  return [length, requestMac]
}

/**
 * Checks the TSIG on a response to a signed request (RFC 8945 §5.3). Returns undefined when the MAC,
 * key and time are good, otherwise why not: a TSIG error the server reported (`BADSIG`, `BADKEY`,
 * `BADTIME`), an unsigned answer, or a MAC that does not verify. An unverified answer must not be
 * trusted, whatever its RCODE says.
 */
export function verifyResponse(
  wire: Uint8Array,
  response: DecodedMessage,
  key: TsigKey,
  requestMac: Buffer,
  nowSeconds: number,
): string | undefined {
  const k = checkTsigKey(key)
  const rr = response.additionals.at(-1)
  if (rr?.type !== RR_TYPE.TSIG) return 'the response is not signed with TSIG'
  const f = parseTsigRdata(rr.data)
  if (f.error !== 0) return `TSIG error ${rcodeName(f.error)}`
  if (canonicalName(rr.name) !== k.name)
    return `the response is signed with another key (${rr.name})`
  if (canonicalName(f.algorithm) !== `${k.algorithm}.`) {
    return `the response is signed with another algorithm (${f.algorithm})`
  }
  const stripped = Buffer.from(wire.subarray(0, response.lastAdditionalOffset))
  stripped.writeUInt16BE(f.originalId, 0)
  stripped.writeUInt16BE(response.additionals.length - 1, 10)
  const expected = hmac(k, [...chain(requestMac), stripped, digestVariables(rr.name, f)])
  // RFC 8945 §5.2.2.1: a truncated MAC is acceptable down to half the hash length (and 10 bytes).
  const minimum = Math.max(10, expected.length / 2)
  const mac = f.mac
  if (mac.length < minimum || mac.length > expected.length)
    return 'bad response MAC length (BADTRUNC)'
  if (!timingSafeEqual(mac, expected.subarray(0, mac.length))) {
    return 'the response MAC does not verify (BADSIG)'
  }
  if (Math.abs(nowSeconds - f.timeSigned) > f.fudge)
    return 'the response time is outside the fudge (BADTIME)'
  return undefined
}
