import { systemClock } from '../../src/clock.js'
import { MemoryStorage } from '../../src/storage/index.js'
import { storageConformance, type FakeClockLike } from '../../src/testing/storage-conformance.js'

/** The wall clock shifted by a movable offset: sleeps take real time, `advance` jumps ahead. */
function offsetClock(): FakeClockLike {
  let offset = 0
  return {
    now: () => systemClock.now() + offset,
    sleep: (ms, signal) => systemClock.sleep(ms, signal),
    advance: (ms) => {
      offset += ms
    },
  }
}

storageConformance('MemoryStorage', async () => ({
  storage: new MemoryStorage(),
  cleanup: async () => undefined,
}))

const clock = offsetClock()
storageConformance(
  'MemoryStorage with a movable clock',
  async () => ({ storage: new MemoryStorage({ clock }), cleanup: async () => undefined }),
  { clock },
)
