import type { ObtainProgress } from '../issuance/obtain.js'
import type { Io } from './context.js'

/** Progress lines with timings on stderr, only when it is a terminal and not in --json mode. */
export function progressPrinter(
  io: Io,
  json: boolean,
): { line(step: string, ms: number, detail: string): void; progress(e: ObtainProgress): void } {
  const on = !json && io.stderr.isTTY === true
  const line = (step: string, ms: number, detail: string): void => {
    if (on)
      io.stderr.write(`  ${step.padEnd(10)} ${`${Math.round(ms)} ms`.padStart(8)}  ${detail}\n`)
  }
  return {
    line,
    progress(e) {
      switch (e.step) {
        case 'order':
          return line('order', e.ms, `${e.status} ${e.orderUrl}`)
        case 'challenge':
          return line(
            'challenge',
            e.ms,
            `${e.identifier.value} ${e.reused ? '(already valid)' : e.challengeType}`,
          )
        case 'finalize':
          return line('finalize', e.ms, '')
        case 'download':
          return line('download', e.ms, '')
        case 'replaces-dropped':
          return line(
            'order',
            e.ms,
            `the CA refused replaces=${e.replaces} (${e.reason}); ordered without it`,
          )
      }
    },
  }
}
