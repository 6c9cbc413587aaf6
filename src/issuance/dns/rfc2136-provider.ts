/**
 * A DNS provider speaking RFC 2136 dynamic update, signed with TSIG (RFC 8945), to one authoritative
 * server: BIND, Knot, PowerDNS and most self-hosted DNS servers accept it.
 */
import { randomInt } from 'node:crypto'
import { systemClock, type Clock } from '../../clock.js'
import { GatehouseError, throwIfAborted } from '../../errors.js'
import type { DnsProvider } from './dns-provider.js'
import { exchange } from './dns-transport.js'
import {
  DEFAULT_FLAGS,
  OPCODE,
  RR_CLASS,
  RR_TYPE,
  canonicalName,
  decodeMessage,
  encodeMessage,
  encodeTxt,
  rcodeName,
  type DecodedMessage,
  type DnsMessage,
  type DnsRecord,
} from './dns-wire.js'
import { formatHostPort, parseHostPort, type HostPort } from './host-port.js'
import { checkMs, rejectUnknownOptions } from './options.js'
import { checkTsigKey, signMessage, verifyResponse, type TsigKey } from './tsig.js'

export interface Rfc2136Options {
  /** The primary server, `host:port` or `[v6]:port` (port defaults to 53). */
  server: string
  /** The zone to update. Default: found by SOA queries to `server`, walking up from the record name. */
  zone?: string
  /** The key updates are signed with. Without it updates go unsigned (most servers refuse them). */
  tsig?: TsigKey
  /** Time for one DNS exchange including retransmits, in milliseconds. Default 10 000. */
  timeoutMs?: number
  /** TTL of the TXT records created, in seconds. Default 60. */
  ttl?: number
  /** The time source for timeouts and TSIG timestamps. Default: the system clock. */
  clock?: Clock
}

const OPTION_KEYS = ['server', 'zone', 'tsig', 'timeoutMs', 'ttl', 'clock'] as const
const DEFAULT_TIMEOUT_MS = 10_000
const DEFAULT_TTL_SECONDS = 60
/** SOA lookups while looking for the zone: a name has at most 127 labels (RFC 1035 §2.3.4). */
const MAX_ZONE_LOOKUPS = 127

export class Rfc2136DnsProvider implements DnsProvider {
  readonly #server: HostPort
  readonly #zone: string | undefined
  readonly #tsig: Required<TsigKey> | undefined
  readonly #timeoutMs: number
  readonly #ttl: number
  readonly #clock: Clock

  constructor(options: Rfc2136Options) {
    rejectUnknownOptions('Rfc2136DnsProvider', options, OPTION_KEYS)
    this.#server = parseHostPort(options.server)
    this.#zone = options.zone === undefined ? undefined : canonicalName(options.zone)
    this.#tsig = options.tsig === undefined ? undefined : checkTsigKey(options.tsig)
    this.#timeoutMs = checkMs('timeoutMs', options.timeoutMs, DEFAULT_TIMEOUT_MS)
    const ttl = options.ttl ?? DEFAULT_TTL_SECONDS
    if (!Number.isInteger(ttl) || ttl < 0 || ttl > 2 ** 31 - 1) {
      throw new RangeError(`ttl must be a whole number of seconds from 0 to 2^31-1, got ${ttl}`)
    }
    this.#ttl = ttl
    this.#clock = options.clock ?? systemClock
  }

  /** Adds the TXT value (RFC 2136 §2.5.1: "Add To An RRset"); other values at the name stay. */
  async present(
    fqdn: string,
    value: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    const rr = { ...txt(fqdn, value), class: RR_CLASS.IN, ttl: this.#ttl }
    await this.#update('add', rr, options.signal)
  }

  /** Deletes that one RR (RFC 2136 §2.5.4: class NONE, TTL 0); deleting an absent RR is a no-op. */
  async cleanup(
    fqdn: string,
    value: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    const rr = { ...txt(fqdn, value), class: RR_CLASS.NONE, ttl: 0 }
    await this.#update('delete', rr, options.signal)
  }

  /**
   * The zone holding `fqdn`, asked of the server itself: the first name walking up from `fqdn` that has
   * an SOA, or the SOA owner the server names in its authority section for a name it has no data for.
   */
  async findZone(fqdn: string, options: { signal?: AbortSignal } = {}): Promise<string> {
    if (this.#zone !== undefined) return this.#zone
    let candidate = canonicalName(fqdn)
    for (let i = 0; i < MAX_ZONE_LOOKUPS && candidate !== '.'; i++) {
      throwIfAborted(options.signal)
      const answer = await this.#send(this.#soaQuery(candidate), options.signal)
      const soa = [...answer.answers, ...answer.authorities].find((r) => r.type === RR_TYPE.SOA)
      if (soa && isWithin(candidate, canonicalName(soa.name))) return canonicalName(soa.name)
      candidate = candidate.slice(candidate.indexOf('.') + 1) || '.'
    }
    throw new GatehouseError(
      'ERR_DNS_PROVIDER',
      `no zone for ${fqdn} found at ${this.#where()}: the server has no SOA at or above it; set the "zone" option`,
    )
  }

  async #update(action: string, rr: DnsRecord, signal: AbortSignal | undefined): Promise<void> {
    const zone = await this.findZone(rr.name, signal ? { signal } : {})
    // RFC 2136 §2.3: the zone section names the zone, type SOA. No prerequisites (§2.4).
    const msg: DnsMessage = {
      id: randomInt(0, 0x10000),
      flags: { ...DEFAULT_FLAGS, opcode: OPCODE.UPDATE },
      questions: [{ name: zone, type: RR_TYPE.SOA, class: RR_CLASS.IN }],
      answers: [],
      authorities: [rr],
      additionals: [],
    }
    const what = `RFC 2136 ${action} of TXT ${rr.name} in zone ${zone} at ${this.#where()}`
    if (this.#tsig === undefined) {
      const answer = await this.#send(msg, signal)
      if (answer.flags.rcode !== 0) throw rcodeError(what, rcodeName(answer.flags.rcode))
      return
    }
    const now = Math.floor(this.#clock.now() / 1000)
    const signed = signMessage(msg, this.#tsig, now)
    const wire = await exchange(this.#server, signed.wire, this.#exchangeOptions(signal))
    const answer = this.#decode(wire, msg.id)
    const tsigProblem = verifyResponse(wire, answer, this.#tsig, signed.mac, now)
    if (tsigProblem !== undefined) {
      throw rcodeError(what, `${rcodeName(answer.flags.rcode)} (${tsigProblem})`)
    }
    if (answer.flags.rcode !== 0) throw rcodeError(what, rcodeName(answer.flags.rcode))
  }

  #soaQuery(name: string): DnsMessage {
    return {
      id: randomInt(0, 0x10000),
      flags: DEFAULT_FLAGS,
      questions: [{ name, type: RR_TYPE.SOA, class: RR_CLASS.IN }],
      answers: [],
      authorities: [],
      additionals: [],
    }
  }

  async #send(msg: DnsMessage, signal: AbortSignal | undefined): Promise<DecodedMessage> {
    const wire = await exchange(this.#server, encodeMessage(msg), this.#exchangeOptions(signal))
    return this.#decode(wire, msg.id)
  }

  #decode(wire: Buffer, id: number): DecodedMessage {
    let answer: DecodedMessage
    try {
      answer = decodeMessage(wire)
    } catch (err) {
      throw new GatehouseError('ERR_DNS_PROVIDER', `malformed answer from ${this.#where()}`, {
        cause: err,
      })
    }
    if (answer.id !== id || !answer.flags.qr) {
      throw new GatehouseError(
        'ERR_DNS_PROVIDER',
        `answer from ${this.#where()} does not match the request`,
      )
    }
    return answer
  }

  #exchangeOptions(signal: AbortSignal | undefined): Parameters<typeof exchange>[2] {
    return { timeoutMs: this.#timeoutMs, clock: this.#clock, signal }
  }

  #where(): string {
    return `DNS server ${formatHostPort(this.#server)}`
  }
}

function txt(fqdn: string, value: string): Omit<DnsRecord, 'class' | 'ttl'> {
  if (typeof fqdn !== 'string' || fqdn === '') throw new TypeError('fqdn must be a DNS name')
  if (typeof value !== 'string') throw new TypeError(`TXT value for ${fqdn} must be a string`)
  return { name: canonicalName(fqdn), type: RR_TYPE.TXT, data: encodeTxt(value) }
}

function isWithin(name: string, zone: string): boolean {
  return zone === '.' || name === zone || name.endsWith(`.${zone}`)
}

function rcodeError(what: string, answered: string): GatehouseError {
  return new GatehouseError('ERR_DNS_PROVIDER', `${what} failed: the server answered ${answered}`)
}
