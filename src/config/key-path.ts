/** A key's place in the configuration: `['site', 0, 'route', 1, 'max_body']`. */
export type KeyPath = readonly (string | number)[]

const BARE = /^[A-Za-z0-9_-]+$/

/**
 * `site[0].route[1].max_body`: the spelling used in errors, in the `sources` map and by
 * `gatehouse config`. Keys that are not bare TOML keys are quoted (`header_up.set."x.y"`).
 */
export function formatPath(path: KeyPath): string {
  let out = ''
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`
    else out += (out === '' ? '' : '.') + (BARE.test(seg) ? seg : JSON.stringify(seg))
  }
  return out
}

/**
 * How a user names the table a key sits in: `[tls]`, `[[site]]`, `[[site.route]]`,
 * `` `health_check` in [[site.route]] ``, or `the top level`.
 */
export function tableLabel(table: KeyPath): string {
  const names = (p: KeyPath): string => p.filter((s) => typeof s === 'string').join('.')
  if (table.length === 0) return 'the top level'
  let lastIndex = -1
  table.forEach((seg, i) => {
    if (typeof seg === 'number') lastIndex = i
  })
  if (lastIndex === -1) return `[${names(table)}]`
  const arrayTable = `[[${names(table.slice(0, lastIndex))}]]`
  if (lastIndex === table.length - 1) return arrayTable
  return `\`${formatPath(table.slice(lastIndex + 1))}\` in ${arrayTable}`
}
