// A process whose heap holds objects of 4 GiB and more, as users meet them: a large ArrayBuffer and a
// full wasm32 memory (65,536 pages, exactly 4 GiB). Their pages are never touched, so the process's
// resident memory stays small. Writes four snapshots of one process into DIR:
//   0: the baseline, 1: + a 5 GiB ArrayBuffer, 2: + a 4 GiB WebAssembly.Memory, 3: + a 6 GiB ArrayBuffer,
// all kept in one array (globalThis.archive.kept), so the series is also a leak.
//
// Usage: node big_objects.js DIR
'use strict'
const path = require('node:path')
const v8 = require('node:v8')

const dir = process.argv[2]
const kept = []
globalThis.archive = { kept }
const GiB = 2 ** 30

function snapshot (i) {
  v8.writeHeapSnapshot(path.join(dir, `${i}.heapsnapshot`))
}

snapshot(0)
kept.push(new ArrayBuffer(5 * GiB))
snapshot(1)
kept.push(new WebAssembly.Memory({ initial: 65536, maximum: 65536 }))
snapshot(2)
kept.push(new ArrayBuffer(6 * GiB))
snapshot(3)
