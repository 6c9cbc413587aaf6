import { test } from 'node:test'
import assert from 'node:assert/strict'
import { processTree, spawnPinned, treeCpuMs, treeRssKiB } from './pinned-process.js'

// A shell that forks a busy child: the child's CPU must be charged to the tree.
const BUSY_CHILD = `sh -c 'i=0; while [ $i -lt 2000000 ]; do i=$((i+1)); done; sleep 30' & wait`

test('CPU and RSS of a process tree include its children', async () => {
  const p = spawnPinned('sh', ['-c', BUSY_CHILD], { cpu: '0' })
  try {
    let tree: number[] = []
    for (let i = 0; i < 100 && tree.length < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      tree = processTree(p.pid)
    }
    assert.equal(tree[0], p.pid)
    assert.ok(tree.length >= 2, `the forked child is in the tree: ${tree}`)
    // The child spins; the parent only waits. Poll (the machine may be busy) until the child has used
    // 200 ms: the tree's figure must then hold it, which the parent alone never reaches.
    const child = tree[1] as number
    const deadline = Date.now() + 20_000
    while (treeCpuMs(child) < 200 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50))
    assert.ok(treeCpuMs(child) >= 200, `the busy child used ${treeCpuMs(child)} ms of CPU`)
    const childMs = treeCpuMs(child)
    const treeMs = treeCpuMs(p.pid)
    assert.ok(
      treeMs >= childMs,
      `the tree (${treeMs} ms) counts what the child did (${childMs} ms)`,
    )
    assert.ok(treeRssKiB(p.pid) > 0)
  } finally {
    await p.stop()
  }
  assert.match(await p.exited, /SIGTERM|exit/)
})

test('a process that fails ends with its status and output; stop is harmless afterwards', async () => {
  const p = spawnPinned('sh', ['-c', 'echo nope >&2; exit 7'], { cpu: '0' })
  assert.equal(await p.exited, 'exit 7')
  assert.equal(p.output(), 'nope')
  await p.stop()
  assert.equal(treeCpuMs(p.pid), 0)
})
