export * from '../../src/testing/process.js'
