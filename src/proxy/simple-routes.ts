/** Redirect and fixed-response routes. */
import { sendText, type Reply } from './reply.js'
import type { RedirectRoute, RespondRoute } from './types.js'

/** `{path}` and `{query}` in the target are replaced by the request's path and query (no `?`). */
export function redirectTarget(to: string, target: string): string {
  const q = target.indexOf('?')
  const path = q < 0 ? target : target.slice(0, q)
  const query = q < 0 ? '' : target.slice(q + 1)
  return to.replaceAll('{path}', path).replaceAll('{query}', query)
}

export function serveRedirect(reply: Reply, target: string, route: RedirectRoute): void {
  const location = redirectTarget(route.to, target)
  sendText(reply, route.status, `${location}\n`, { headers: ['location', location] })
}

export function serveRespond(reply: Reply, route: RespondRoute): void {
  sendText(reply, route.status, route.body, { contentType: route.contentType })
}
