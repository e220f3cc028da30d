'use strict'
// A mildly large heap: ~100k class instances plus per-instance plain objects
// and strings (a few hundred thousand nodes in total), a big Map index over
// them, and a big array of plain `{id, label}` objects. Exercises performance
// and the 1/1000 popularity threshold of interface names at scale.
const v8 = require('v8')

const out = process.argv[2]
if (!out) throw new Error('usage: node large.js OUT.heapsnapshot')

const COUNT = Number(process.env.LARGE_COUNT || 80000)

class Record {
  constructor (i, category) {
    this.key = 'record-' + i // unique string per record
    this.category = category // shared
    this.meta = { created: 'c' + (i % 1000), score: i / 7 } // plain object + heap number
  }
}
class Category {
  constructor (name) {
    this.name = name
    this.members = []
  }
}

const categories = Array.from({ length: 50 }, (_, i) => new Category('category-' + i))
const records = new Array(COUNT)
for (let i = 0; i < COUNT; i++) {
  const cat = categories[i % categories.length]
  const r = new Record(i, cat)
  records[i] = r
  if (i % 10 === 0) cat.members.push(r)
}
const index = new Map()
for (let i = 0; i < COUNT; i += 4) index.set(records[i].key, records[i])
const labels = Array.from({ length: 20000 }, (_, i) => ({ id: 'id' + i, label: 'label' + (i % 500) }))

globalThis.largeScenario = { categories, records, index, labels }

v8.writeHeapSnapshot(out)
