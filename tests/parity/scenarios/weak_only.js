'use strict'
// Objects reachable only through weak edges. A live V8 heap cannot show this
// after the snapshot's full GC (everything left is strongly reachable), but
// DevTools has dedicated logic for it (distance -5 "unreachable", orphan roots
// in the dominator tree, Summary rows with distance −), and browser snapshots
// do contain such nodes. So this scenario writes a real snapshot and then
// rewrites it: every edge into an `OnlyWeak` object becomes a `weak` edge, and
// every edge into an `OnlyWeakCycle` object from outside its 2-cycle becomes
// weak (the cycle keeps its strong internal edges, so neither member is a
// "no essential retainer" orphan). Node counts, edge counts and all other
// fields are untouched, so the file stays a valid V8 snapshot.
const fs = require('fs')
const v8 = require('v8')

const out = process.argv[2]
if (!out) throw new Error('usage: node weak_only.js OUT.heapsnapshot')

class OnlyWeak {
  constructor (i) {
    this.payload = { only: 'weak payload ' + i, list: ['a' + i, 'b' + i] }
  }
}
class OnlyWeakCycle {
  constructor (tag) {
    this.tag = 'cycle-' + tag
    this.other = null
  }
}
class StrongHolder {
  constructor (target) {
    this.target = target // this edge will be rewritten to weak
    this.keep = { mine: 'strong' }
  }
}
const weakOnes = Array.from({ length: 12 }, (_, i) => new OnlyWeak(i))
const cycleA = new OnlyWeakCycle('a')
const cycleB = new OnlyWeakCycle('b')
cycleA.other = cycleB
cycleB.other = cycleA
globalThis.weakOnlyScenario = {
  weakOnes,
  holders: weakOnes.slice(0, 4).map((t) => new StrongHolder(t)),
  cycleEntry: cycleA,
  cycleEntry2: cycleB,
  sharedPayloadHolder: weakOnes[0].payload // keeps one payload strongly reachable
}

v8.writeHeapSnapshot(out)

// --- rewrite: strong edges into the marked objects become weak edges ---
const snap = JSON.parse(fs.readFileSync(out, 'utf8'))
const meta = snap.snapshot.meta
const NF = meta.node_fields.length
const EF = meta.edge_fields.length
const nType = meta.node_fields.indexOf('type')
const nName = meta.node_fields.indexOf('name')
const nEdges = meta.node_fields.indexOf('edge_count')
const eType = meta.edge_fields.indexOf('type')
const eTo = meta.edge_fields.indexOf('to_node')
const objectType = meta.node_types[nType].indexOf('object')
const weakType = meta.edge_types[eType].indexOf('weak')
const nodes = snap.nodes
const edges = snap.edges
const nameOf = (nodeIndex) => snap.strings[nodes[nodeIndex + nName]]
const isMarked = (nodeIndex, name) => nodes[nodeIndex + nType] === objectType && nameOf(nodeIndex) === name

let rewritten = 0
let edgeIndex = 0
for (let nodeIndex = 0; nodeIndex < nodes.length; nodeIndex += NF) {
  const sourceInCycle = isMarked(nodeIndex, 'OnlyWeakCycle')
  for (let k = 0; k < nodes[nodeIndex + nEdges]; k++, edgeIndex += EF) {
    const to = edges[edgeIndex + eTo]
    if (edges[edgeIndex + eType] === weakType) continue
    if (isMarked(to, 'OnlyWeak') || (isMarked(to, 'OnlyWeakCycle') && !sourceInCycle)) {
      edges[edgeIndex + eType] = weakType
      rewritten++
    }
  }
}
if (rewritten < 12) throw new Error('expected to rewrite edges into OnlyWeak objects, rewrote ' + rewritten)
fs.writeFileSync(out, JSON.stringify(snap))
