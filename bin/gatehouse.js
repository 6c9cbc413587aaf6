#!/usr/bin/env node
import { main } from '../build/src/cli/main.js'

const controller = new AbortController()
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => controller.abort(new Error(`${sig} received`)))
}
process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal,
})
