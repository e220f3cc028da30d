'use strict'
// Primitive-ish heap values and built-in object kinds: symbols (incl. as
// property keys, registered and well-known), bigints (small, huge, negative),
// heap numbers (doubles, -0, NaN, Infinity, in objects and double arrays),
// regexps (flags, named groups, with lastIndex state), Date, Error with stacks,
// Promise states, Proxy, Reflect-made objects, getters/setters, frozen objects,
// arguments objects, iterators.
const v8 = require('v8')

const out = process.argv[2]
if (!out) throw new Error('usage: node values.js OUT.heapsnapshot')

class ValueBox {
  constructor (value) {
    this.value = value
  }
}

const symbols = {
  plain: Symbol('plain-description'),
  noDescription: Symbol(), // eslint-disable-line symbol-description
  registered: Symbol.for('registered.key'),
  weird: Symbol('sym "with" quotes, commas {and braces}\n'),
  many: Array.from({ length: 30 }, (_, i) => Symbol('sym' + i))
}
const symbolKeyed = {}
symbolKeyed[symbols.plain] = { via: 'plain symbol' }
symbolKeyed[symbols.registered] = 'registered value'
symbolKeyed[Symbol.iterator] = function * () { yield 1 }
symbolKeyed.normal = 'normal'
const symbolKeyedMany = Array.from({ length: 12 }, (_, i) => ({ [symbols.plain]: 'p' + i, tag: 't' + i }))

const bigints = {
  small: 1n,
  negative: -12345678901234567890n,
  huge: 2n ** 4000n - 1n,
  list: Array.from({ length: 20 }, (_, i) => BigInt(i) * 10n ** 30n)
}

const numbers = {
  pi: Math.PI,
  negZero: -0,
  nan: NaN,
  inf: Infinity,
  tiny: 5e-324,
  big: 2 ** 53 + 2,
  boxes: Array.from({ length: 40 }, (_, i) => new ValueBox(i + 0.5)), // heap numbers in fields
  doubles: Array.from({ length: 100 }, (_, i) => i / 3), // PACKED_DOUBLE elements
  mixed: [1, 2.5, 'three', null, undefined, true, 4n]
}

const regexps = {
  simple: /abc/,
  flags: /a+b*c?/gimsuy,
  named: /(?<year>\d{4})-(?<month>\d{2})/u,
  fromString: new RegExp('dyn[a-z]+\\d*', 'g'),
  withQuotes: /"quoted" and 'single', {braces}/,
  many: Array.from({ length: 15 }, (_, i) => new RegExp('re' + i + '\\w+'))
}
regexps.flags.lastIndex = 3
regexps.named.exec('2024-05') // populates last-match info

function makeError () {
  try {
    null.boom() // eslint-disable-line no-unused-expressions
  } catch (e) {
    return e
  }
}
const errors = {
  plain: new Error('plain error'),
  type: makeError(),
  custom: new (class CustomError extends Error {})('custom'),
  withCause: new Error('outer', { cause: new RangeError('inner') }),
  aggregate: new AggregateError([new Error('a'), new Error('b')], 'agg')
}
errors.plain.stack // eslint-disable-line no-unused-expressions

const resolved = Promise.resolve({ resolvedWith: 'value' })
const rejected = Promise.reject(new Error('rejected'))
rejected.catch(() => {})
const pendingForever = new Promise(() => {})

const target = { proxied: 'target' }
const proxy = new Proxy(target, { get (t, k) { return Reflect.get(t, k) } })
const revocable = Proxy.revocable({}, {})

const accessors = {
  _v: 'hidden',
  get v () { return this._v },
  set v (x) { this._v = x }
}
const frozen = Object.freeze({ frozen: 'yes', nested: Object.freeze(['x']) })
const sealed = Object.seal({ sealed: 'yes' })
const nonExtensible = Object.preventExtensions({ nonExt: 'yes' })
function captureArgs () { return arguments }
const args = captureArgs('a', { b: 1 }, ['c'])
const iterators = {
  array: [1, 2, 3][Symbol.iterator](),
  map: new Map([[1, 2]]).entries(),
  string: 'iterate'[Symbol.iterator]()
}
const dates = Array.from({ length: 10 }, (_, i) => new Date(2020, 0, i + 1))

globalThis.valuesScenario = {
  symbols,
  symbolKeyed,
  symbolKeyedMany,
  bigints,
  numbers,
  regexps,
  errors,
  promises: { resolved, rejected, pendingForever },
  proxy,
  revocable,
  accessors,
  frozen,
  sealed,
  nonExtensible,
  args,
  iterators,
  dates,
  boxedPrimitives: [Object(1.5), Object('str'), Object(true), Object(Symbol('boxed')), Object(5n)]
}

v8.writeHeapSnapshot(out)
