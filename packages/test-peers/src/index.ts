export * from './process.js'
