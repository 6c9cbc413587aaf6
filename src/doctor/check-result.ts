/** One line of `gatehouse doctor`: what was checked, how it went, and what to do about it. */
export interface CheckResult {
  /** Short label: `home`, `acme`, `clock`, `dns`, `caa`, `port 80`… */
  check: string
  /** `fail` stops Gatehouse from getting or serving certificates; `warn` may. */
  status: 'ok' | 'warn' | 'fail'
  /** What was found, naming the file, name, address or value. */
  message: string
  /** What to do, for `warn` and `fail`. */
  fix?: string
}

export function ok(check: string, message: string): CheckResult {
  return { check, status: 'ok', message }
}

export function warn(check: string, message: string, fix: string): CheckResult {
  return { check, status: 'warn', message, fix }
}

export function fail(check: string, message: string, fix: string): CheckResult {
  return { check, status: 'fail', message, fix }
}
