'use strict'
// Keyed and weak collections, plus binary data: Map/Set (small and large),
// WeakMap with live keys whose values are held only through the map (ephemeron
// edges), WeakSet, WeakRef (to a strongly held target and to a target held by
// nothing else), FinalizationRegistry, typed arrays, ArrayBuffer,
// SharedArrayBuffer, DataView and Node Buffers (alloc, allocUnsafe pool slices,
// from strings).
const v8 = require('v8')

const out = process.argv[2]
if (!out) throw new Error('usage: node collections.js OUT.heapsnapshot')

class MapKey { constructor (i) { this.k = i } }
class WeakMapKey { constructor (i) { this.wk = i } }
class WeakMapValue { constructor (i) { this.payload = new Array(8).fill(i) } }
class WeakSetMember { constructor (i) { this.ws = i } }
class WeakRefTarget { constructor (i) { this.t = i } }
class Finalizable { constructor (i) { this.f = i } }
class HeldValue { constructor (i) { this.h = i } }

const smallMap = new Map([['one', 1], ['two', { nested: true }], [3, 'three']])
const bigMap = new Map()
for (let i = 0; i < 3000; i++) bigMap.set('key' + i, { index: 'i' + i }) // heap values: no edges for Smis
const objectKeyedMap = new Map()
for (let i = 0; i < 50; i++) objectKeyedMap.set(new MapKey(i), [i])
const set = new Set(['a', 'b', 1, 2, { inSet: true }])
const bigSet = new Set()
for (let i = 0; i < 2000; i++) bigSet.add({ member: 'm' + i })

// WeakMap: keys are kept alive elsewhere (liveKeys), values only via the map.
const weakMap = new WeakMap()
const liveKeys = []
for (let i = 0; i < 40; i++) {
  const key = new WeakMapKey(i)
  liveKeys.push(key)
  weakMap.set(key, new WeakMapValue(i))
}
// A WeakMap whose key is its own value's only holder chain.
const chainMap = new WeakMap()
const chainKey = new WeakMapKey(-1)
chainMap.set(chainKey, { link: new WeakMapValue(-1) })

const weakSet = new WeakSet()
const weakSetMembers = Array.from({ length: 20 }, (_, i) => new WeakSetMember(i))
for (const m of weakSetMembers) weakSet.add(m)

const strongTarget = new WeakRefTarget(1)
const weakRefs = [new WeakRef(strongTarget)]
for (let i = 0; i < 10; i++) weakRefs.push(new WeakRef(new WeakRefTarget(100 + i))) // nothing else holds these

const registry = new FinalizationRegistry(() => {})
const finalizables = []
for (let i = 0; i < 10; i++) {
  const f = new Finalizable(i)
  finalizables.push(f)
  registry.register(f, new HeldValue(i), f)
}
registry.register(new Finalizable(999), new HeldValue(999)) // target otherwise unreferenced

// Binary data.
const arrayBuffer = new ArrayBuffer(64 * 1024)
const shared = new SharedArrayBuffer(4096)
const views = {
  u8: new Uint8Array(arrayBuffer, 0, 1024),
  u16: new Uint16Array(arrayBuffer, 2048, 512),
  i32: new Int32Array(1000),
  f32: new Float32Array([1.5, 2.5, 3.5]),
  f64: new Float64Array(5000),
  u8c: new Uint8ClampedArray(300),
  i64: new BigInt64Array([1n, -2n, 3n]),
  u64: new BigUint64Array(16),
  onShared: new Int32Array(shared),
  dataView: new DataView(arrayBuffer, 4096, 256),
  emptyBuffer: new ArrayBuffer(0),
  onHeapSmall: new Uint8Array(16) // small typed arrays live on the V8 heap
}
const buffers = {
  alloc: Buffer.alloc(10000, 1),
  allocSmall: Buffer.alloc(8),
  unsafeA: Buffer.allocUnsafe(100), // slices of the shared pool
  unsafeB: Buffer.allocUnsafe(200),
  fromAscii: Buffer.from('hello buffer world'.repeat(20)),
  fromUtf8: Buffer.from('h\u00e9llo \u{1F600} w\u00f6rld'),
  fromHex: Buffer.from('deadbeef', 'hex'),
  list: Array.from({ length: 30 }, (_, i) => Buffer.from('buf' + i))
}

globalThis.collectionsScenario = {
  smallMap,
  bigMap,
  objectKeyedMap,
  set,
  bigSet,
  weakMap,
  liveKeys,
  chainMap,
  chainKey,
  weakSet,
  weakSetMembers,
  weakRefs,
  strongTarget,
  registry,
  finalizables,
  arrayBuffer,
  shared,
  views,
  buffers
}

v8.writeHeapSnapshot(out)
