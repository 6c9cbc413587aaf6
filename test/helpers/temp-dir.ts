import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A fresh folder under the system temp folder, removed when the test ends. */
export function tempDir(t: { after(fn: () => unknown): void }, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}
