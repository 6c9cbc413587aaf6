import { test } from 'node:test'
import assert from 'node:assert/strict'
import { finishNameHash, nameHash, nameHashStep, NameTable } from './name-table.js'

/** The running hash of `name` stopped at `start`: what a right-to-left pass has there. */
function suffixHash(name: string, start: number): number {
  let h = 0
  for (let i = name.length - 1; i >= start; i--) h = nameHashStep(h, name.charCodeAt(i))
  return finishNameHash(h)
}

test('name table: get, suffix get, overwrite, delete', () => {
  const table = new NameTable<number>()
  table.set('example.com', 1)
  table.set('a.example.com', 2)
  assert.equal(table.get('example.com'), 1)
  assert.equal(table.get('a.example.com'), 2)
  assert.equal(table.get('b.example.com'), undefined)
  const name = 'api.example.com'
  assert.equal(table.getSuffix(name, 4, suffixHash(name, 4)), 1)
  assert.equal(table.getSuffix(name, 3, suffixHash(name, 3)), undefined, '.example.com')
  assert.equal(table.getHashed('example.com', nameHash('example.com')), 1)
  table.set('example.com', 3)
  assert.equal(table.get('example.com'), 3)
  assert.equal(table.size, 2)
  assert.equal(table.delete('example.com'), true)
  assert.equal(table.delete('example.com'), false)
  assert.equal(table.get('example.com'), undefined)
  assert.equal(table.size, 1)
})

test('name table: 20k random inserts and deletes agree with a Map (growth, probe runs, wrap-around)', () => {
  const table = new NameTable<number>()
  const model = new Map<string, number>()
  let x = 7
  const next = (): number => (x = (Math.imul(x, 1103515245) + 12345) >>> 0)
  for (let step = 0; step < 20_000; step++) {
    // A small key space, so deletes hit present keys and runs form and break up again.
    const key = `h${next() % 3000}.example.test`
    if (next() % 3 === 0) assert.equal(table.delete(key), model.delete(key), `delete ${key}`)
    else {
      table.set(key, step)
      model.set(key, step)
    }
  }
  assert.equal(table.size, model.size)
  for (let i = 0; i < 3000; i++) {
    const key = `h${i}.example.test`
    assert.equal(table.get(key), model.get(key), key)
    const name = `www.${key}`
    assert.equal(table.getSuffix(name, 4, suffixHash(name, 4)), model.get(key), name)
  }
})
