export * from '../../src/testing/pebble.js'
