'use strict'
// Three snapshots of one process whose array of Items grows between them, written with node:v8 by
// whichever runtime runs this (Bun or Deno): DIR/a.heapsnapshot, b and c.
//
// Usage: bun series.cjs DIR | deno run -A series.cjs DIR
const path = require('node:path')
const v8 = require('node:v8')

const dir = process.argv[2]
if (!dir) throw new Error('usage: series.cjs DIR')

class Item {
  constructor (i) {
    this.i = i
    this.label = `item-${i}`
  }
}

const keep = []
globalThis.keep = keep
for (const name of ['a', 'b', 'c']) {
  v8.writeHeapSnapshot(path.join(dir, `${name}.heapsnapshot`))
  for (let i = 0; i < 1000; i++) keep.push(new Item(keep.length))
}
