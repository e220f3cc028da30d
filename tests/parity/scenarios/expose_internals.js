'use strict'
// The same kinds of objects as the other scenarios, but written with
// {exposeInternals: true}: V8 then emits no root->global shortcut edges, so
// DevTools finds no user roots, skips shallow-size redistribution, gives every
// node a plain (non-1e8) distance from the root, and nothing is "page-owned".
const v8 = require('v8')

const out = process.argv[2]
if (!out) throw new Error('usage: node expose_internals.js OUT.heapsnapshot')

class Account {
  constructor (i) {
    this.owner = 'owner' + i
    this.history = [{ amount: i + 0.5, memo: 'm' + i }]
  }
}
class SavingsAccount extends Account {
  constructor (i) {
    super(i)
    this.rate = 0.025
  }
}
const accounts = Array.from({ length: 60 }, (_, i) => (i % 3 ? new Account(i) : new SavingsAccount(i)))

const cache = new WeakMap()
const keys = accounts.slice(0, 20)
for (const k of keys) cache.set(k, { cachedFor: k.owner, blob: new Array(16).fill(k.owner) })

const points = Array.from({ length: 200 }, (_, i) => ({ x: 'x' + i, y: 'y' + i }))
const points3 = Array.from({ length: 50 }, (_, i) => ({ x: 'x' + i, y: 'y' + i, z: 'z' + i }))

function makeLogger (prefix) {
  const lines = []
  return (msg) => { lines.push(prefix + msg); return lines.length }
}
const loggers = Array.from({ length: 10 }, (_, i) => makeLogger('[' + i + '] '))

const text = {
  cons: 'expose' + '-internals-'.repeat(2) + process.pid,
  sliced: ('I'.repeat(3000) + 'sliced-part-of-a-long-string' + 'J'.repeat(3000)).substring(2990, 3040),
  twoByte: '\u4e2d\u6587 \u{1F600} ' + process.pid
}
const binary = { buf: Buffer.from('exposed buffer contents'), f64: new Float64Array(512), ab: new ArrayBuffer(2048) }

let list = null
for (let i = 0; i < 500; i++) list = { next: list, i: 'l' + i }

globalThis.exposeScenario = { accounts, cache, keys, points, points3, loggers, text, binary, list, sym: Symbol('exposed'), big: 2n ** 100n }

v8.writeHeapSnapshot(out, { exposeInternals: true })
