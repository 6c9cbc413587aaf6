/**
 * Test fixture: a real BIND `named` (Debian bind9) serving primary zones on a free loopback port (UDP and
 * TCP), accepting RFC 2136 dynamic updates signed with a TSIG key (RFC 8945), stopped by `stop()`.
 *
 * Each zone holds an SOA, an NS and a wildcard `* IN A 127.0.0.1`, so any name under it resolves to
 * loopback (what Pebble needs when it uses this server as its `-dnsserver`).
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './ports.js'
import { spawnPeer, waitUntil } from './process.js'

export interface BindTsig {
  /** Key name, e.g. `gatehouse-key.` */
  name: string
  /** `hmac-sha256`, `hmac-sha512` or `hmac-sha1`. */
  algorithm: 'hmac-sha256' | 'hmac-sha512' | 'hmac-sha1'
  /** The shared secret, base64. */
  secret: string
}

export interface BindOptions {
  /** Zones to serve, without trailing dot. Default `['example.test']`. */
  zones?: string[]
  /** The update key. Default: a fresh random hmac-sha256 key named `gatehouse-key.` */
  tsig?: BindTsig
  /** Allow updates without TSIG (for tests of unsigned updates). Default false: updates need the key. */
  allowUnsignedUpdates?: boolean
  /** Extra zone-file lines per zone, e.g. `{ 'example.test': ['@ IN CAA 0 issue "ca.example"'] }`. */
  records?: Record<string, string[]>
}

export interface Bind {
  /** `127.0.0.1:PORT`, for dig, a resolver, or Pebble's `-dnsserver`. */
  readonly address: string
  readonly host: string
  readonly port: number
  /** The key updates must be signed with. */
  readonly tsig: BindTsig
  readonly zones: readonly string[]
  /** The scratch folder that `stop()` removes. */
  readonly dir: string
  /** named's output so far. */
  logs(): string
  stop(): Promise<void>
}

const NAMED = '/usr/sbin/named'

function zoneFile(zone: string, records: readonly string[] = []): string {
  return [
    '$TTL 60',
    `@ IN SOA ns1.${zone}. hostmaster.${zone}. 1 3600 600 86400 60`,
    `@ IN NS ns1.${zone}.`,
    `ns1 IN A 127.0.0.1`,
    `* IN A 127.0.0.1`,
    ...records,
    '',
  ].join('\n')
}

function namedConf(dir: string, port: number, options: Required<BindOptions>): string {
  const key = options.tsig
  const keyName = key.name.replace(/\.$/, '')
  const allow = options.allowUnsignedUpdates ? 'any;' : `key "${keyName}";`
  const zones = options.zones.map((zone) =>
    [
      `zone "${zone}" {`,
      '  type primary;',
      `  file "${join(dir, `${zone}.zone`)}";`,
      `  journal "${join(dir, `${zone}.zone.jnl`)}";`,
      `  allow-update { ${allow} };`,
      '};',
    ].join('\n'),
  )
  return [
    // No rndc channel: it would bind 127.0.0.1:953 and clash between parallel fixtures.
    'controls { };',
    `key "${keyName}" {`,
    `  algorithm ${key.algorithm};`,
    `  secret "${key.secret}";`,
    '};',
    'options {',
    `  directory "${dir}";`,
    `  listen-on port ${port} { 127.0.0.1; };`,
    '  listen-on-v6 { none; };',
    `  pid-file "${join(dir, 'named.pid')}";`,
    `  session-keyfile "${join(dir, 'session.key')}";`,
    `  managed-keys-directory "${dir}";`,
    '  recursion no;',
    '  dnssec-validation no;',
    '  notify no;',
    '};',
    ...zones,
    '',
  ].join('\n')
}

function answersSoa(port: number, zone: string): boolean {
  const out = execFileSync(
    'dig',
    ['@127.0.0.1', '-p', String(port), 'SOA', `${zone}.`, '+short', '+time=1', '+tries=1'],
    { encoding: 'utf8', timeout: 3000 },
  )
  return out.includes(`ns1.${zone}.`)
}

/** Starts `named` in the foreground (`-g`, as root without `-u`) and waits until every zone answers. */
export async function startBind(options: BindOptions = {}): Promise<Bind> {
  const resolved: Required<BindOptions> = {
    zones: options.zones ?? ['example.test'],
    tsig: options.tsig ?? {
      name: 'gatehouse-key.',
      algorithm: 'hmac-sha256',
      secret: randomBytes(32).toString('base64'),
    },
    allowUnsignedUpdates: options.allowUnsignedUpdates ?? false,
    records: options.records ?? {},
  }
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bind-'))
  // named writes journals and the session key here; make sure it can whatever user it ends up as.
  chmodSync(dir, 0o777)
  for (const zone of resolved.zones)
    writeFileSync(join(dir, `${zone}.zone`), zoneFile(zone, resolved.records[zone]))
  const port = await freePort({ udp: true })
  const conf = join(dir, 'named.conf')
  writeFileSync(conf, namedConf(dir, port, resolved))
  const named = spawnPeer(NAMED, ['-g', '-4', '-n', '1', '-c', conf, '-p', String(port)], {
    cwd: dir,
  })
  const stop = async (): Promise<void> => {
    await named.stop()
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await waitUntil(
      `named on 127.0.0.1:${port}`,
      async () => {
        if (named.child.exitCode !== null) throw new Error('named exited')
        return resolved.zones.every((zone) => answersSoa(port, zone))
      },
      15000,
      () => named.output(),
    )
  } catch (err) {
    await stop()
    throw err
  }
  return {
    address: `127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    tsig: resolved.tsig,
    zones: resolved.zones,
    dir,
    logs: () => named.output(),
    stop,
  }
}
