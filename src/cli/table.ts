/** Columns padded to their widest cell, two spaces apart; the last column is not padded. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const all = [header, ...rows]
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)))
  return all
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n')
}

/** `2026-12-01 14:03Z`: minutes are enough for renewal times, and UTC says so. */
export function shortDate(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace('T', ' ')}Z`
}
