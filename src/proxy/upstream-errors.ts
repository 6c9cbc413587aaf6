/**
 * What the client is told when an upstream fails before its response started: 502 when the upstream
 * could not be reached or answered badly, 504 when it was too slow (RFC 9110 §15.6.3, §15.6.5). The
 * body names the upstream and the cause in one line.
 */

export interface UpstreamFailure {
  status: 502 | 504
  message: string
}

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH)/

export function upstreamFailure(
  err: unknown,
  hostPort: string,
  timeouts: { connectTimeoutMs: number; responseTimeoutMs: number },
): UpstreamFailure {
  const e = err as { code?: unknown; message?: unknown; name?: unknown } | null
  const code = typeof e?.code === 'string' ? e.code : ''
  const upstream = `upstream ${hostPort}`
  switch (code) {
    case 'ECONNREFUSED':
      return { status: 502, message: `${upstream} refused the connection` }
    case 'UND_ERR_CONNECT_TIMEOUT':
      return {
        status: 504,
        message: `${upstream} did not accept the connection within ${timeouts.connectTimeoutMs} ms`,
      }
    case 'UND_ERR_HEADERS_TIMEOUT':
      return {
        status: 504,
        message: `${upstream} did not answer within ${timeouts.responseTimeoutMs} ms`,
      }
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { status: 502, message: `${upstream}: the name could not be resolved` }
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return { status: 502, message: `${upstream} is unreachable` }
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return { status: 502, message: `${upstream} closed the connection` }
  }
  const text = typeof e?.message === 'string' ? e.message.split('\n')[0] : String(err)
  // undici's parser errors carry no code for most malformed heads (a bad field octet or token, an
  // obs-fold): its message names the fault in parentheses.
  if (code.startsWith('HPE_') || code === 'UND_ERR_INFO' || e?.name === 'HTTPParserError') {
    const fault = /\(([^)]+)\)$/.exec(text ?? '')?.[1]
    const detail = fault === undefined ? '' : `: ${fault.toLowerCase()}`
    return { status: 502, message: `${upstream} sent an invalid response${detail}` }
  }
  if (TLS_CODE.test(code)) return { status: 502, message: `${upstream} TLS failed: ${text}` }
  return { status: 502, message: `${upstream} failed: ${text}` }
}
