import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  hash32,
  mix32,
  pickLeastConn,
  pickRandomTwo,
  pickRendezvous,
  pickRoundRobin,
} from './load-balancing.js'

interface U {
  name: string
  active: number
}
const ups = (...actives: number[]): U[] => actives.map((active, i) => ({ name: `u${i}`, active }))
const names = (list: Array<U | undefined>): string[] => list.map((u) => u?.name ?? '-')

/** A deterministic stand-in for Math.random: cycles through `values`. */
function sequence(...values: number[]): () => number {
  let i = 0
  return () => values[i++ % values.length] as number
}

test('every policy returns undefined for no candidates', () => {
  assert.equal(pickRoundRobin([], 3), undefined)
  assert.equal(pickLeastConn([], 3), undefined)
  assert.equal(pickRandomTwo([], Math.random), undefined)
  assert.equal(
    pickRendezvous([], 1, () => 1),
    undefined,
  )
})

test('round robin cycles through the candidates in order', () => {
  const list = ups(0, 0, 0)
  const picks = [0, 1, 2, 3, 4, 5, 6].map((turn) => pickRoundRobin(list, turn))
  assert.deepEqual(names(picks), ['u0', 'u1', 'u2', 'u0', 'u1', 'u2', 'u0'])
})

test('least connections takes the least busy, rotating among ties', () => {
  const table: Array<{ actives: number[]; turn: number; want: string }> = [
    { actives: [3, 1, 2], turn: 0, want: 'u1' },
    { actives: [3, 1, 2], turn: 2, want: 'u1' },
    { actives: [0, 0, 0], turn: 0, want: 'u0' },
    { actives: [0, 0, 0], turn: 1, want: 'u1' },
    { actives: [0, 0, 0], turn: 5, want: 'u2' },
    { actives: [2, 1, 1], turn: 0, want: 'u1' },
    { actives: [2, 1, 1], turn: 2, want: 'u2' },
    { actives: [7], turn: 9, want: 'u0' },
  ]
  for (const { actives, turn, want } of table) {
    assert.equal(pickLeastConn(ups(...actives), turn)?.name, want, `${actives} turn ${turn}`)
  }
})

test('least connections spreads a steady load evenly', () => {
  const list = ups(0, 0, 0, 0)
  // Each request stays in flight for 4 picks: a balanced policy keeps every upstream at 1.
  const inFlight: U[] = []
  for (let turn = 0; turn < 400; turn++) {
    if (inFlight.length === 4) (inFlight.shift() as U).active--
    const u = pickLeastConn(list, turn) as U
    u.active++
    inFlight.push(u)
    assert.ok(Math.max(...list.map((x) => x.active)) <= 1, `turn ${turn}`)
  }
})

test('random of two compares two distinct random candidates and takes the less busy', () => {
  const list = ups(5, 1, 3)
  const table: Array<{ r: number[]; want: string }> = [
    // i = floor(r0 * 3), j = floor(r1 * 2) skipping i
    { r: [0.0, 0.0], want: 'u1' }, // u0 vs u1
    { r: [0.0, 0.99], want: 'u2' }, // u0 vs u2
    { r: [0.5, 0.0], want: 'u1' }, // u1 vs u0
    { r: [0.99, 0.0], want: 'u2' }, // u2 vs u0
    { r: [0.99, 0.6], want: 'u1' }, // u2 vs u1
  ]
  for (const { r, want } of table) {
    assert.equal(pickRandomTwo(list, sequence(...r))?.name, want, `random ${r}`)
  }
  assert.equal(pickRandomTwo(ups(4), sequence(0.7))?.name, 'u0')
})

test('random of two never compares a candidate with itself and favours idle upstreams', () => {
  const list = ups(0, 0, 10)
  const counts = new Map<string, number>()
  let seed = 1
  const lcg = (): number => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0
    return seed / 2 ** 32
  }
  for (let k = 0; k < 3000; k++) {
    const name = (pickRandomTwo(list, lcg) as U).name
    counts.set(name, (counts.get(name) ?? 0) + 1)
  }
  // u2 wins only against itself, which never happens.
  assert.equal(counts.get('u2') ?? 0, 0)
  assert.ok(
    Math.abs((counts.get('u0') ?? 0) - (counts.get('u1') ?? 0)) < 300,
    JSON.stringify([...counts]),
  )
})

test('rendezvous hashing is stable, even, and moves only the keys of a removed candidate', () => {
  const list = ['http://10.0.0.1:80', 'http://10.0.0.2:80', 'http://10.0.0.3:80'].map((name) => ({
    name,
    active: 0,
    hash: hash32(name),
  }))
  const idHash = (u: { hash: number }): number => u.hash
  const ips = Array.from({ length: 6000 }, (_, i) => `192.168.${(i >> 8) & 255}.${i & 255}`)
  const before = ips.map((ip) => pickRendezvous(list, hash32(ip), idHash)?.name)
  assert.deepEqual(
    ips.map((ip) => pickRendezvous(list, hash32(ip), idHash)?.name),
    before,
    'same key, same pick',
  )
  for (const u of list) {
    const share = before.filter((n) => n === u.name).length / ips.length
    assert.ok(share > 0.28 && share < 0.39, `${u.name} got ${share}`)
  }
  const without = list.filter((u) => u.name !== 'http://10.0.0.2:80')
  let moved = 0
  ips.forEach((ip, i) => {
    const after = pickRendezvous(without, hash32(ip), idHash)?.name
    if (before[i] !== 'http://10.0.0.2:80') assert.equal(after, before[i], ip)
    else moved++
  })
  assert.ok(moved > 0)
  // Order of candidates does not matter.
  assert.deepEqual(
    ips.map((ip) => pickRendezvous([...list].reverse(), hash32(ip), idHash)?.name),
    before,
  )
})

test('hash32 and mix32 are fixed functions (stable across processes and releases)', () => {
  assert.equal(hash32(''), 0x811c9dc5)
  assert.equal(hash32('a'), 0xe40c292c)
  assert.equal(hash32('foobar'), 0xbf9cf968)
  assert.equal(mix32(0), 0)
  assert.notEqual(mix32(1), mix32(2))
  assert.ok(mix32(0xffffffff) >= 0)
})
