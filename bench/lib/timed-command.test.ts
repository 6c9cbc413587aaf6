import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseTimeFile, timedCommand } from './timed-command.js'

test('parseTimeFile reads user + system seconds, also after a non-zero-status line', () => {
  assert.equal(parseTimeFile('0.12 0.03\n'), 150)
  assert.equal(parseTimeFile('Command exited with non-zero status 1\n1.00 0.50\n'), 1500)
  assert.throws(() => parseTimeFile('garbage'), /cannot read \/usr\/bin\/time output/)
})

test('a busy command reports CPU time, an idle one wall time without CPU', async () => {
  // Burns roughly 0.3 s of CPU: /usr/bin/time must see it in the child's rusage.
  const busy = await timedCommand(process.execPath, [
    '-e',
    'const end = Date.now() + 300; while (Date.now() < end) {}',
  ])
  assert.ok(busy.cpuMs >= 200, `busy cpuMs ${busy.cpuMs}`)
  assert.ok(busy.wallMs >= 300, `busy wallMs ${busy.wallMs}`)
  const idle = await timedCommand('sleep', ['0.3'], { cpus: '0' })
  assert.ok(idle.wallMs >= 300, `idle wallMs ${idle.wallMs}`)
  assert.ok(idle.cpuMs < 100, `idle cpuMs ${idle.cpuMs}`)
})

test('a failing command rejects with its exit code and output', async () => {
  await assert.rejects(
    timedCommand('sh', ['-c', 'echo boom >&2; exit 3']),
    /sh exited with 3:\nboom/,
  )
})
