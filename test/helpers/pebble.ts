export * from '../../src/testing/pebble.js'
export type * from '../../src/testing/pebble.js'
