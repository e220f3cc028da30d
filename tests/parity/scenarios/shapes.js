'use strict'
// Plain objects in many shapes (so DevTools infers `{a, b}` interface class
// names): a popular shape, supersets of it, the same keys in another insertion
// order, shapes just under/over the popularity threshold, long-key shapes cut
// at 120 chars, weird property names, an own `__proto__` property,
// Object.create(null), numeric keys, dictionary-mode objects and a large
// dictionary, empty objects; arrays: packed (smi/double/object), holey, huge
// sparse (dictionary elements), nested, array subclasses.
// Property values are heap objects/strings on purpose: V8 emits no edge for a
// Smi-valued property, so `{a: 1}` would look like `{}`.
const v8 = require('v8')

const out = process.argv[2]
if (!out) throw new Error('usage: node shapes.js OUT.heapsnapshot')

const s = (i) => 'v' + i // short heap string value

const shapes = {
  ab: Array.from({ length: 300 }, (_, i) => ({ a: s(i), b: s(i + 1) })),
  ba: Array.from({ length: 40 }, (_, i) => ({ b: s(i), a: s(i) })), // same set, other order
  abc: Array.from({ length: 120 }, (_, i) => ({ a: s(i), b: s(i), c: s(i) })),
  abcd: Array.from({ length: 60 }, (_, i) => ({ a: s(i), b: s(i), c: s(i), d: s(i) })),
  abx: Array.from({ length: 3 }, (_, i) => ({ a: s(i), b: s(i), x: s(i) })), // too rare: falls back to {a, b}
  xyz: Array.from({ length: 80 }, (_, i) => ({ x: { i: s(i) }, y: [s(i)], z: s(i) })),
  i: Array.from({ length: 20 }, (_, i) => ({ i: s(i) })),
  single: [{ lonely: s(1) }], // unique shape: stays `Object`
  mixedValues: Array.from({ length: 25 }, (_, i) => ({ num: i + 0.25, str: s(i), smi: i, nil: null, obj: {} })),
  longKeys: Array.from({ length: 10 }, (_, i) => {
    const o = {}
    for (let k = 0; k < 12; k++) o['rather_long_property_name_number_' + k] = s(i)
    return o
  }),
  hugeFirstKey: Array.from({ length: 5 }, (_, i) => ({ ['k'.repeat(200)]: s(i), after: s(i) })),
  weirdNames: Array.from({ length: 8 }, (_, i) => ({
    'a,b': s(i), '"q"': s(i), "'s'": s(i), '{br}': s(i), '}{': s(i), 'sp ace': s(i), 'ok': s(i)
  })),
  ownProto: Array.from({ length: 6 }, (_, i) => JSON.parse('{"__proto__": "own", "p": "q' + i + '"}')),
  nullProto: Array.from({ length: 30 }, (_, i) => {
    const o = Object.create(null)
    o.np = s(i)
    o.other = s(i)
    return o
  }),
  numericKeys: Array.from({ length: 15 }, (_, i) => ({ 0: s(i), 1: s(i), 10: s(i), name: s(i) })),
  onlyNumericKeys: Array.from({ length: 10 }, (_, i) => ({ 0: s(i), 7: s(i) })),
  empty: Array.from({ length: 50 }, () => ({})),
  newObject: Array.from({ length: 10 }, (_, i) => { const o = new Object(); o.made = s(i); return o }), // eslint-disable-line no-new-object
  withMethods: Array.from({ length: 12 }, (_, i) => ({ name: s(i), run () { return i }, get g () { return i } })),
  nested: Array.from({ length: 30 }, (_, i) => ({ outer: { inner: { leaf: s(i) } } }))
}

// Dictionary-mode objects: deleting a property / too many properties.
const dictionaries = Array.from({ length: 10 }, (_, i) => {
  const o = { a: s(i), b: s(i), c: s(i), gone: s(i) }
  delete o.gone
  return o
})
const largeDictionary = {}
for (let i = 0; i < 5000; i++) largeDictionary['key_' + i] = s(i)
const largeDictionary2 = Object.create(null)
for (let i = 0; i < 2000; i++) largeDictionary2['d' + (i * 7919 % 10007)] = { n: s(i) }

const arrays = {
  packedSmi: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  packedDouble: [1.1, 2.2, 3.3, 4.4],
  packedObjects: Array.from({ length: 100 }, (_, i) => [s(i)]),
  holey: (() => { const a = [1, , 3, , 5]; a[20] = s(20); return a })(), // eslint-disable-line no-sparse-arrays
  holeyDouble: (() => { const a = new Array(50); a[3] = 3.5; return a })(),
  hugeSparse: (() => { const a = []; a[1000000] = 'far'; a[5] = 'near'; a[123456] = { mid: s(1) }; return a })(),
  preallocated: new Array(1000).fill(null),
  nestedArrays: Array.from({ length: 20 }, (_, i) => [[s(i)], [[s(i)]]]),
  arrayWithProps: Object.assign([s(1), s(2)], { extra: s(3), 'odd,prop': s(4) }),
  subclass: new (class MyArray extends Array {})(5).fill(s(0)),
  empty: [],
  bigArray: Array.from({ length: 20000 }, (_, i) => s(i % 100))
}

globalThis.shapesScenario = { shapes, dictionaries, largeDictionary, largeDictionary2, arrays }

v8.writeHeapSnapshot(out)
