import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { Pebble } from '../../test/helpers/pebble.js'
import { CLIENT_CPU } from './pinning.js'
import type { Contender, Sample } from './row.js'
import { timedCommand } from './timed-command.js'
import { startWebrootServer } from './webroot-server.js'

const EMAIL = 'a@b.c'

export interface ClientSpec {
  id: string
  label: string
  binary: string
  env: NodeJS.ProcessEnv
  /** Arguments for one standalone (own listener) issuance of `name`, state kept in `dir`. */
  standalone: (name: string, dir: string) => string[]
  /** Arguments for one issuance that writes its HTTP-01 answer under `webroot` instead. */
  webroot?: (name: string, dir: string, webroot: string) => string[]
  /** Human-readable command template. */
  command: string
  concurrentCommand?: string
}

export function legoSpec(pebble: Pebble): ClientSpec {
  const common = (name: string, dir: string): string[] => [
    ...['--server', pebble.directoryUrl, '--email', EMAIL, '--accept-tos', '--key-type', 'ec256'],
    ...['--domains', name, '--path', dir, '--http'],
  ]
  return {
    id: 'lego',
    label: 'lego (command)',
    binary: 'lego',
    env: { ...process.env, LEGO_CA_CERTIFICATES: pebble.listenerCaFile },
    standalone: (name, dir) => [
      ...common(name, dir),
      '--http.port',
      `127.0.0.1:${pebble.httpPort}`,
      'run',
    ],
    webroot: (name, dir, root) => [...common(name, dir), '--http.webroot', root, 'run'],
    command:
      'LEGO_CA_CERTIFICATES=<pebble.listenerCaFile> lego --server <dir> --email a@b.c --accept-tos ' +
      '--key-type ec256 --domains NAME --path <tmp> --http --http.port 127.0.0.1:<httpPort> run',
    concurrentCommand:
      'LEGO_CA_CERTIFICATES=<pebble.listenerCaFile> lego --server <dir> --email a@b.c --accept-tos ' +
      '--key-type ec256 --domains NAME --path <tmp-i> --http --http.webroot <shared webroot> run',
  }
}

export function certbotSpec(pebble: Pebble): ClientSpec {
  const common = (name: string, dir: string): string[] => [
    ...['certonly', '--server', pebble.directoryUrl, '--agree-tos', '-m', EMAIL, '--no-eff-email'],
    ...['-d', name, '--non-interactive', '--key-type', 'ecdsa'],
    ...['--config-dir', join(dir, 'config'), '--work-dir', join(dir, 'work')],
    ...['--logs-dir', join(dir, 'logs')],
  ]
  return {
    id: 'certbot',
    label: 'certbot (command)',
    binary: 'certbot',
    env: { ...process.env, REQUESTS_CA_BUNDLE: pebble.listenerCaFile },
    standalone: (name, dir) => [
      ...common(name, dir),
      ...['--standalone', '--http-01-port', String(pebble.httpPort), '--http-01-address'],
      '127.0.0.1',
    ],
    webroot: (name, dir, root) => [...common(name, dir), '--webroot', '-w', root],
    command:
      'REQUESTS_CA_BUNDLE=<pebble.listenerCaFile> certbot certonly --server <dir> --agree-tos ' +
      '-m a@b.c --no-eff-email -d NAME --non-interactive --key-type ecdsa --config-dir <tmp>/config ' +
      '--work-dir <tmp>/work --logs-dir <tmp>/logs --standalone --http-01-port <httpPort> ' +
      '--http-01-address 127.0.0.1',
    concurrentCommand:
      'REQUESTS_CA_BUNDLE=<pebble.listenerCaFile> certbot certonly … (as above, own <tmp-i>) ' +
      '--webroot -w <shared webroot>',
  }
}

/**
 * A command-line client as a {@link Contender}. Sequential runs share one state folder, so the
 * account registered by the warm-up is reused (as a cron job would). For the concurrency row each
 * run gets its own copy of that folder: same account, no lock contention, and the HTTP-01 answers
 * go through a shared webroot, since each standalone listener would bind the one port Pebble checks.
 */
export function commandContender(spec: ClientSpec, pebble: Pebble): Contender {
  const state = mkdtempSync(join(tmpdir(), `gatehouse-bench-${spec.id}-`))
  const home = join(state, 'home')
  const run = (args: string[]): Promise<Sample> =>
    timedCommand(spec.binary, args, { env: spec.env, cpus: CLIENT_CPU })
  const contender: Contender = {
    id: spec.id,
    label: spec.label,
    command: spec.command,
    ...(spec.concurrentCommand ? { concurrentCommand: spec.concurrentCommand } : {}),
    async warmUp(name) {
      await run(spec.standalone(name, home))
    },
    issue: (name) => run(spec.standalone(name, home)),
    async close() {
      rmSync(state, { recursive: true, force: true })
    },
  }
  const webrootArgs = spec.webroot
  if (!webrootArgs) return contender
  return {
    ...contender,
    async issueMany(names) {
      const webroot = join(state, 'webroot')
      mkdirSync(join(webroot, '.well-known', 'acme-challenge'), { recursive: true })
      const homes = names.map((_, i) => join(state, `home-${i}`))
      for (const dir of homes) cpSync(home, dir, { recursive: true })
      const server = await startWebrootServer(webroot, '127.0.0.1', pebble.httpPort)
      try {
        const started = performance.now()
        const runs = await Promise.all(
          names.map((name, i) => run(webrootArgs(name, homes[i] as string, webroot))),
        )
        const wallMs = performance.now() - started
        return { wallMs, cpuMs: runs.reduce((sum, r) => sum + r.cpuMs, 0) }
      } finally {
        await server.close()
      }
    },
  }
}

/**
 * Gatehouse's own CLI as a whole command, like lego and certbot: a fresh Node process per
 * certificate, so it pays for startup and module loading as they do.
 */
export function gatehouseCliSpec(pebble: Pebble, bin: string): ClientSpec {
  return {
    id: 'gatehouse-cli',
    label: 'Gatehouse CLI (command)',
    binary: process.execPath,
    env: process.env,
    standalone: (name, dir) => [
      ...[bin, 'certs', 'obtain', name, '--acme-directory', pebble.directoryUrl],
      ...['--acme-ca-cert', pebble.listenerCaFile, '--http-port', `127.0.0.1:${pebble.httpPort}`],
      ...['--home', dir, '--email', EMAIL],
    ],
    command:
      'node bin/gatehouse.js certs obtain NAME --acme-directory <dir> --acme-ca-cert ' +
      '<pebble.listenerCaFile> --http-port 127.0.0.1:<httpPort> --home <tmp> --email a@b.c',
  }
}
