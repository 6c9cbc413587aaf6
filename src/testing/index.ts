/** Test utilities for code built on Gatehouse: a real Pebble CA and the storage conformance suite. */
export { startPebble, type Pebble, type PebbleOptions } from './pebble.js'
export { FakeClock } from './fake-clock.js'
export { storageConformance } from './storage-conformance.js'
