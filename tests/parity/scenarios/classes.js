'use strict'
// ES classes (inheritance, static/private fields, accessors), legacy constructor
// functions, closures capturing variables, bound functions, generators/async
// functions, and two different classes that share the name `Item` (same
// script, different positions) plus a third `Item` compiled as another script.
const v8 = require('v8')
const vm = require('vm')

const out = process.argv[2]
if (!out) throw new Error('usage: node classes.js OUT.heapsnapshot')

class Animal {
  constructor (name) {
    this.name = name
    this.legs = 4
  }

  speak () { return `${this.name} makes a sound` }
}

class Dog extends Animal {
  static registry = []
  #secret
  constructor (name, tricks) {
    super(name)
    this.tricks = tricks
    this.#secret = { bone: name.length }
    Dog.registry.push(this)
  }

  get secret () { return this.#secret }
}

class Puppy extends Dog {
  constructor (name) {
    super(name, [])
    this.ageWeeks = 8
  }
}

function LegacyPoint (x, y) { // pre-ES6 constructor function
  this.x = x
  this.y = y
}
LegacyPoint.prototype.norm = function () { return Math.hypot(this.x, this.y) }

// Two distinct classes with the same name, at different source positions.
const itemsA = (function () {
  class Item {
    constructor (i) { this.label = 'A' + i }
  }
  return Array.from({ length: 30 }, (_, i) => new Item(i))
})()
const itemsB = (function () {
  class Item {
    constructor (i) {
      this.label = 'B' + i
      this.weight = i * 1.5
    }
  }
  return Array.from({ length: 20 }, (_, i) => new Item(i))
})()
// ...and a third one living in a different script.
const makeOtherItems = new vm.Script(
  'class Item { constructor (i) { this.other = i } };\n' +
  '(n) => Array.from({ length: n }, (_, i) => new Item(i))',
  { filename: 'other_items.js' }
).runInThisContext()
const itemsC = makeOtherItems(10)

// Closures capturing variables (kept in their function contexts).
function makeCounter (start) {
  let count = start
  const history = []
  return function counter () {
    count += 1
    history.push(count)
    return count
  }
}
function makeAdder (captured) {
  const big = new Array(100).fill(captured)
  return (x) => x + big[0]
}
const counters = Array.from({ length: 25 }, (_, i) => makeCounter(i))
const adders = Array.from({ length: 5 }, (_, i) => makeAdder(i))
const bound = Animal.prototype.speak.bind(new Animal('bound-cat'))

function * numbers () { let i = 0; while (true) yield i++ }
const gen = numbers()
gen.next()
async function waiter () { await new Promise(() => {}) } // never settles
const pending = waiter()

globalThis.classesScenario = {
  animals: [new Animal('generic'), new Dog('rex', ['sit', 'roll']), new Puppy('bit')],
  dogs: Array.from({ length: 40 }, (_, i) => new Dog('dog' + i, ['trick' + i])),
  puppies: Array.from({ length: 15 }, (_, i) => new Puppy('pup' + i)),
  points: Array.from({ length: 50 }, (_, i) => new LegacyPoint(i, -i)),
  itemsA,
  itemsB,
  itemsC,
  counters,
  adders,
  bound,
  gen,
  pending,
  anonymousClassInstance: new (class {})(),
  classExpr: new (class NamedExpr { constructor () { this.z = 1 } })()
}

v8.writeHeapSnapshot(out)
