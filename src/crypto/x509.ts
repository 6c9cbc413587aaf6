// The only entry to @peculiar/x509: the polyfill must be evaluated before the library loads, and
// ES modules evaluate their imports in order.
import './reflect-metadata.js'

export * from '@peculiar/x509'
