import type { Clock } from '../clock.js'
import type { Managed } from './managed-name.js'

/**
 * Sleeps `ms` on the clock as `m`'s renewal loop; returns early (without error) when `renewNow`
 * wakes the loop through `m.wake`, rejects when `stop` aborts (the manager stops). The stop signal
 * is linked by hand rather than with `AbortSignal.any`, which would create a dependent signal per
 * sleep for the life of the manager.
 */
export async function wakeableSleep(
  clock: Clock,
  stop: AbortSignal,
  m: Managed,
  ms: number,
): Promise<void> {
  const wake = new AbortController()
  const onStop = (): void => wake.abort(stop.reason)
  stop.addEventListener('abort', onStop, { once: true })
  m.wake = wake
  try {
    await clock.sleep(ms, wake.signal)
  } catch (err) {
    if (stop.aborted || !wake.signal.aborted) throw err
  } finally {
    stop.removeEventListener('abort', onStop)
    m.wake = undefined
  }
}
