import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError } from './config-error.js'
import { resolveConfig, type ResolveOptions } from './resolve-config.js'

const BASE: ResolveOptions = { cwd: '/work', userHome: '/home/ops', cpus: 2 }
const SITE = '[[site]]\nhosts = ["a.example.com"]\n[[site.route]]\n'

interface Case {
  name: string
  text?: string
  env?: Record<string, string>
  flags?: [string, string | boolean][]
  message: string | RegExp
  line?: number
  key?: string
}

// Each bad input, the exact error (or its pattern), the line it names and the key path.
const CASES: Case[] = [
  {
    name: 'unknown key in [[site]], with a suggestion',
    text: `[tls]\nemail = "a@example.com"\n\n[[site]]\nhots = ["a.example.com"]\n`,
    message: 'unknown key `hots` in [[site]] at gatehouse.toml:5, did you mean `hosts`?',
    line: 5,
    key: 'site[0].hots',
  },
  {
    name: 'unknown section at the top level',
    text: 'home = "/x"\n[tsl]\nemail = "a@example.com"\n',
    message: 'unknown key `tsl` in the top level at gatehouse.toml:2, did you mean `tls`?',
    line: 2,
  },
  {
    name: 'unknown key with no close match lists the known ones',
    text: '[log]\nlevel = "info"\ncolour = true\n',
    message: 'unknown key `colour` in [log] at gatehouse.toml:3; known keys: `level`, `access_log`',
    line: 3,
  },
  {
    name: 'unknown key in the second [[site.route]]',
    text: `${SITE}proxy = "127.0.0.1:1"\n[[site.route]]\npath = "/x"\nproxy = "127.0.0.1:1"\nmax_bdy = "1MB"\n`,
    message:
      'unknown key `max_bdy` in [[site.route]] at gatehouse.toml:8, did you mean `max_body`?',
    line: 8,
    key: 'site[0].route[1].max_bdy',
  },
  {
    name: 'unknown key in an inline table',
    text: `${SITE}proxy = "127.0.0.1:1"\nhealth_check = { path = "/h", intervall = "5s" }\n`,
    message:
      'unknown key `intervall` in `health_check` in [[site.route]] at gatehouse.toml:5, did you mean `interval`?',
    line: 5,
  },
  {
    name: 'unknown dotted key',
    text: '[tls]\non_demand.alow = ["*.example.com"]\n',
    message: 'unknown key `alow` in [tls.on_demand] at gatehouse.toml:2, did you mean `allow`?',
    line: 2,
  },
  {
    name: 'a bad size',
    text: `${SITE}proxy = "127.0.0.1:1"\n\nmax_body = "110XB"\n`,
    message:
      /^`site\[0\]\.route\[0\]\.max_body` at gatehouse\.toml:6: "110XB" is not a size; give bytes, or a number with B, KB, MB/,
    line: 6,
    key: 'site[0].route[0].max_body',
  },
  {
    name: "nginx's ambiguous 110M",
    text: `${SITE}proxy = "127.0.0.1:1"\nmax_body = "110M"\n`,
    message: /write 110MB or 110MiB$/,
    line: 5,
  },
  {
    name: 'a bad port',
    text: '[https]\nport = 70000\n',
    message:
      '`https.port` at gatehouse.toml:2: 70000 is not allowed; give 1 to 65535, 0 for any free port or -1 to turn the listener off',
    line: 2,
  },
  {
    name: 'a duration with no unit',
    text: `${SITE}proxy = "127.0.0.1:1"\nwebsocket_idle_timeout = 86400\n`,
    message:
      /`site\[0\]\.route\[0\]\.websocket_idle_timeout` at gatehouse\.toml:5: 86400 has no unit; give a number with ms, s, m, h or d/,
    line: 5,
  },
  {
    name: 'a string where a number belongs',
    text: '[server]\nmax_headers = "100"\n',
    message:
      /`server\.max_headers` at gatehouse\.toml:2: "100" is not allowed; give a whole number from 1 to 10000/,
    line: 2,
  },
  {
    name: 'a bad choice',
    text: '[tls]\nkey_type = "rsa1024"\n',
    message: /`tls\.key_type` at gatehouse\.toml:2: "rsa1024" is not allowed; give one of "ec256"/,
    line: 2,
  },
  {
    name: 'a bad host in a multi-line array names the element line',
    text: '[[site]]\nhosts = [\n  "a.example.com",\n  "bad_name.example.com",\n]\n[[site.route]]\nrespond = "x"\n',
    message:
      /^`site\[0\]\.hosts\[1\]` at gatehouse\.toml:4: invalid name "bad_name\.example\.com": label "bad_name"/,
    line: 4,
  },
  {
    name: 'a host with a port',
    text: '[[site]]\nhosts = "a.example.com:443"\n[[site.route]]\nrespond = "x"\n',
    message: /give a bare name or IP address, without scheme, port or path/,
    line: 2,
  },
  {
    name: 'the same host in two sites',
    text: `${SITE}respond = "x"\n[[site]]\nhosts = ["b.example.com", "A.example.com"]\n[[site.route]]\nrespond = "y"\n`,
    message:
      '`site[1].hosts[1]` at gatehouse.toml:6: a.example.com is already a host of site[0] (line 1); a name belongs to one site',
    line: 6,
  },
  {
    name: 'a site without hosts',
    text: '[[site]]\n[[site.route]]\nrespond = "x"\n',
    message: /^`site\[0\]` at gatehouse\.toml:1: a site needs `hosts`/,
    line: 1,
  },
  {
    name: 'a site without routes',
    text: '[[site]]\nhosts = ["a.example.com"]\n',
    message: /^`site\[0\]` at gatehouse\.toml:1: a site needs at least one \[\[site\.route\]\]/,
    line: 1,
  },
  {
    name: '[site] instead of [[site]]',
    text: '[site]\nhosts = ["a.example.com"]\n',
    message:
      '`site` at gatehouse.toml:1: a table is not an array of tables: write [[site]], not [site]',
    line: 1,
  },
  {
    name: 'a route with no handler',
    text: `${SITE}path = "/"\n`,
    message:
      '`site[0].route[0]` at gatehouse.toml:3: a route needs one of `proxy`, `static`, `redirect`, `respond`',
    line: 3,
  },
  {
    name: 'a route with two handlers',
    text: `${SITE}proxy = "127.0.0.1:1"\nstatic = "www"\n`,
    message:
      '`site[0].route[0]` at gatehouse.toml:3: a route has exactly one of `proxy` and `static`: split it into two routes',
    line: 3,
  },
  {
    name: 'a proxy key on a static route',
    text: `${SITE}static = "www"\nretries = 2\n`,
    message:
      '`site[0].route[0].retries` at gatehouse.toml:5: applies to proxy routes only; this is a static route',
    line: 5,
  },
  {
    name: 'two routes with one path',
    text: `${SITE}respond = "a"\n[[site.route]]\npath = "/"\nrespond = "b"\n`,
    message:
      /`site\[0\]\.route\[1\]\.path` at gatehouse\.toml:6: another route of this site already has path \//,
    line: 6,
  },
  {
    name: 'an upstream with no port',
    text: `${SITE}proxy = ["127.0.0.1:1", "127.0.0.1"]\n`,
    message:
      /`site\[0\]\.route\[0\]\.proxy\[1\]` at gatehouse\.toml:4: upstream "127\.0\.0\.1" needs a port/,
    line: 4,
  },
  {
    name: 'an upstream with a foreign scheme',
    text: `${SITE}proxy = "ftp://x.example.com"\n`,
    message: /upstream "ftp:\/\/x\.example\.com" has scheme ftp:/,
    line: 4,
  },
  {
    name: 'sticky_cookie with another balancer',
    text: `${SITE}proxy = "127.0.0.1:1"\nlb = "least_conn"\nsticky_cookie = "s"\n`,
    message:
      '`site[0].route[0].sticky_cookie` at gatehouse.toml:6: applies only with lb = "cookie"',
    line: 6,
  },
  {
    name: 'upstream_tls without an https upstream',
    text: `${SITE}proxy = "127.0.0.1:1"\nupstream_tls = { verify = false }\n`,
    message:
      /`site\[0\]\.route\[0\]\.upstream_tls` at gatehouse\.toml:5: applies to https:\/\/ upstreams/,
    line: 5,
  },
  {
    name: 'a framing header in header_up',
    text: `${SITE}proxy = "127.0.0.1:1"\nheader_up = { set = { "Transfer-Encoding" = "chunked" } }\n`,
    message: /Transfer-Encoding is a framing or connection header the proxy manages itself/,
    line: 5,
    key: 'site[0].route[0].header_up.set.Transfer-Encoding',
  },
  {
    name: 'a header name that is not a token',
    text: `${SITE}proxy = "127.0.0.1:1"\nheader_down = ["+X(1) x"]\n`,
    message: /"X\(1\)" is not a header name \(RFC 9110 §5\.1 token\)/,
    line: 5,
  },
  {
    name: 'a CR LF in a header_down value (the same check as a library route)',
    text: `${SITE}proxy = "127.0.0.1:1"\nheader_down = { set = { "X-A" = "a\\r\\nSet-Cookie: x=1" } }\n`,
    message:
      /"a\\r\\nSet-Cookie: x=1" holds a control character \(CR, LF, NUL, \.\.\.\), which no field value may/,
    line: 5,
    key: 'site[0].route[0].header_down.set.X-A',
  },
  {
    name: 'a redirect status that is not one',
    text: `${SITE}redirect = "/new"\nstatus = 303\n`,
    message: /303 is not a redirect status; give 301, 302, 307 or 308/,
    line: 5,
  },
  {
    name: 'a path that does not start with /',
    text: `${SITE}path = "api"\nrespond = "x"\n`,
    message:
      /`site\[0\]\.route\[0\]\.path` at gatehouse\.toml:4: "api" is not a path starting with "\/"/,
    line: 4,
  },
  {
    name: 'invalid TOML names line and column',
    text: '[tls]\nemail = "a@example.com"\nstaging = yes\n',
    message: /^gatehouse\.toml:3:\d+: not valid TOML: /,
    line: 3,
  },
  {
    name: 'a section that is not a table',
    text: 'tls = 5\n',
    message: '`tls` at gatehouse.toml:1: 5 is not a table: write [tls] and its keys below it',
    line: 1,
  },
  {
    name: 'an unset variable names itself, the key and the line',
    text: `${SITE}\nproxy = "$UPSTREAM"\n`,
    message:
      '`site[0].route[0].proxy` at gatehouse.toml:5: variable `$UPSTREAM` is not set; set it, give a fallback with ${UPSTREAM:-value}, or write $$ for a dollar sign',
    line: 5,
  },
  {
    name: 'a lone dollar',
    text: '[tls]\nprofile = "cost $5"\n',
    message: /`tls\.profile` at gatehouse\.toml:2: a lone `\$` at character 6; write \$NAME/,
    line: 2,
  },
  {
    name: 'staging with a directory URL',
    text: '[tls]\nacme_directory = "https://acme.example.com/dir"\nstaging = true\n',
    message:
      /`tls\.staging` at gatehouse\.toml:3: staging picks Let's Encrypt's staging CA, but tls\.acme_directory is https:/,
    line: 3,
  },
  {
    name: 'an ACME directory over http',
    text: '[tls]\nacme_directory = "http://acme.example.com/dir"\n',
    message: /must be an https: URL \(RFC 8555 §6\.1\)/,
    line: 2,
  },
  {
    name: 'half of External Account Binding',
    text: '[tls]\neab_kid = "kid"\n',
    message: /`tls\.eab_kid` at gatehouse\.toml:2: External Account Binding needs both/,
    line: 2,
  },
  {
    name: 'HSTS preload without its conditions',
    text: '[tls]\nhsts = { max_age = "30d", preload = true }\n',
    message: /`tls\.hsts\.preload` at gatehouse\.toml:2: preload needs include_subdomains = true/,
    line: 2,
  },
  {
    name: 'one port for HTTP and HTTPS',
    text: '[http]\nport = 8443\n[https]\nport = 8443\n',
    message: /`https\.port` at gatehouse\.toml:4: http\.port and https\.port are both 8443/,
    line: 4,
  },
  {
    name: 'a bad environment value names the variable',
    env: { GATEHOUSE_HTTPS_PORT: 'https' },
    message: /^`https\.port` from GATEHOUSE_HTTPS_PORT: "https" is not allowed; give 1 to 65535/,
  },
  {
    name: 'a bad flag value names the flag',
    flags: [['server.idle_timeout', '60']],
    message:
      '`server.idle_timeout` from --idle-timeout: "60" has no unit; give a number with ms, s, m, h or d (e.g. "30s", "5m", "1d", "1h30m")',
  },
  {
    name: 'a bad trusted proxy',
    env: { GATEHOUSE_TRUSTED_PROXIES: '10.0.0.0/33' },
    message: /from GATEHOUSE_TRUSTED_PROXIES: "10\.0\.0\.0\/33" is not an IP address or CIDR block/,
  },
]

for (const c of CASES) {
  test(`config error: ${c.name}`, () => {
    const options: ResolveOptions = {
      ...BASE,
      ...(c.text === undefined
        ? {}
        : {
            file: { name: 'gatehouse.toml', path: '/etc/gatehouse/gatehouse.toml', text: c.text },
          }),
      ...(c.env ? { env: c.env } : {}),
      ...(c.flags ? { flags: new Map(c.flags) } : {}),
    }
    assert.throws(
      () => resolveConfig(options),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError, String(err))
        assert.equal(err.code, 'ERR_CONFIG')
        if (typeof c.message === 'string') assert.equal(err.message, c.message)
        else assert.match(err.message, c.message)
        assert.equal(err.line, c.line)
        assert.equal(err.file, c.text === undefined ? undefined : 'gatehouse.toml')
        if (c.key !== undefined) assert.equal(err.key, c.key)
        assert.ok(!err.message.includes('\n'), 'one line')
        return true
      },
    )
  })
}

test('config error: a listener host with a port, and an on-demand name that is not one', () => {
  const resolve = (text: string) => () =>
    resolveConfig({ ...BASE, file: { name: 'g.toml', path: '/g.toml', text } })
  assert.throws(resolve('[https]\nhost = "0.0.0.0:443"\n'), {
    message:
      '`https.host` at g.toml:2: "0.0.0.0:443" is not an IP address or host name (give the port as `port`)',
  })
  assert.throws(resolve('[tls.on_demand]\nallow = ["*.example.com", "*bad.example.com"]\n'), {
    message: /^`tls\.on_demand\.allow\[1\]` at g\.toml:2: invalid name "\*bad\.example\.com"/,
  })
  assert.deepEqual(
    resolveConfig({
      ...BASE,
      file: {
        name: 'g.toml',
        path: '/g.toml',
        text: '[https]\nhost = "[::]"\n[tls.on_demand]\nallow = "*.Example.com"\n',
      },
    }).config.tls.onDemand,
    { allow: ['*.example.com'] },
  )
  // `**.` is any depth (src/manager/on-demand-patterns.ts); it still needs a real domain after it.
  assert.deepEqual(
    resolveConfig({
      ...BASE,
      file: {
        name: 'g.toml',
        path: '/g.toml',
        text: '[tls.on_demand]\nallow = ["**.Apps.example.com"]\n',
      },
    }).config.tls.onDemand,
    { allow: ['**.apps.example.com'] },
  )
  assert.throws(resolve('[tls.on_demand]\nallow = ["**.com"]\n'), {
    message: /^`tls\.on_demand\.allow\[0\]` at g\.toml:2: invalid name "com"/,
  })
})
