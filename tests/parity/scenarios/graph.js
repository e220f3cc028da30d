'use strict'
// Graph structure stress for distances and dominators: a deep linked list
// (depth 5000, recursion-unsafe), a deep tree chain hanging off a closure
// context, object cycles (self loops, 2-cycles, a large ring), diamonds (shared
// children -> dominated by the common parent), objects reachable only via weak
// references from user objects (WeakRef targets created in this job, which V8
// keeps alive only through a system root), and objects reachable from two
// globals at different distances.
const v8 = require('v8')

const out = process.argv[2]
if (!out) throw new Error('usage: node graph.js OUT.heapsnapshot')

class ListNode {
  constructor (value, next) {
    this.value = value
    this.next = next
  }
}
let head = null
for (let i = 0; i < 5000; i++) head = new ListNode('n' + i, head)

class TreeNode {
  constructor (depth) {
    this.children = []
    this.tag = 'd' + depth
  }
}
function buildTree (depth, fanout) {
  const root = new TreeNode(depth)
  if (depth > 0) for (let i = 0; i < fanout; i++) root.children.push(buildTree(depth - 1, fanout))
  return root
}

// Cycles.
class CycleNode { constructor (name) { this.name = name; this.peer = null } }
const selfLoop = new CycleNode('self')
selfLoop.peer = selfLoop
const a = new CycleNode('a')
const b = new CycleNode('b')
a.peer = b
b.peer = a
const ring = Array.from({ length: 1000 }, (_, i) => new CycleNode('r' + i))
ring.forEach((n, i) => { n.peer = ring[(i + 1) % ring.length] })
const ringEntry = ring[0] // only the entry is held; the rest is reachable via the ring
ring.length = 0

// Diamonds: shared leaves reachable through two parents.
class Diamond { constructor (i) { this.left = { side: 'L' + i }; this.right = { side: 'R' + i }; this.bottom = { bottom: 'B' + i }; this.left.down = this.bottom; this.right.down = this.bottom } }
const diamonds = Array.from({ length: 50 }, (_, i) => new Diamond(i))

// Weakly referenced only (kept alive this job by V8's KeepDuringJob set).
class WeakOnly { constructor (i) { this.payload = ['w' + i, { deep: 'w' + i }] } }
const weakOnlyRefs = Array.from({ length: 25 }, (_, i) => new WeakRef(new WeakOnly(i)))

// Reachable from the global and, deeper, from a closure context.
class Shared { constructor () { this.data = new Array(64).fill('shared') } }
const shared = new Shared()
const holder = (() => {
  const captured = { shared, tree: buildTree(6, 3) }
  return () => captured
})()

// A second, long path to the same object.
let deepPath = { target: shared }
for (let i = 0; i < 50; i++) deepPath = { wrap: deepPath }

globalThis.graphScenario = { head, selfLoop, a, ringEntry, diamonds, weakOnlyRefs, holder, deepPath }
globalThis.graphShortcut = shared

v8.writeHeapSnapshot(out)
