import type { AccessLogFields } from './access-log.js'

/** A proxied request's fields, which the access-log tests vary one at a time. */
export const BASE_FIELDS: AccessLogFields = {
  remote: '127.0.0.1',
  method: 'GET',
  host: 'app.test',
  path: '/',
  status: 200,
  bytes: 2,
  durationMs: 0.4125,
  upstream: 'http://127.0.0.1:8080',
  proto: '1.1',
}
