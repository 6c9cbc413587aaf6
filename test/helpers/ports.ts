export * from '../../src/testing/ports.js'
