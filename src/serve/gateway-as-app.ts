import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2'
import type { Gateway } from '../proxy/types.js'

/**
 * Stand-in until the HTTPS server carries a Gateway itself (branch wt-proxy): HTTP/1.1 requests go to
 * `handleRequest`, HTTP/2 ones to `handleStream` with the compatibility request's stream and headers.
 */
export function gatewayAsApp(
  gateway: Gateway,
): (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => void {
  return (req, res) => {
    if ('stream' in req) gateway.handleStream(req.stream, req.headers)
    else gateway.handleRequest(req, res as ServerResponse)
  }
}
