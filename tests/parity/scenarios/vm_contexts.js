'use strict'
// `vm` contexts: several vm.createContext() sandboxes whose code
// (runInContext) defines classes, closures and objects on their own global
// object, so the snapshot has several native contexts / global objects (user
// roots). Includes objects passed between contexts, a class with the same name
// in two contexts, a context retained only through a function that came out of
// it, and a context made by vm.runInNewContext.
const v8 = require('v8')
const vm = require('vm')

const out = process.argv[2]
if (!out) throw new Error('usage: node vm_contexts.js OUT.heapsnapshot')

const sandboxCode = `
  class Widget {
    constructor (i) { this.id = 'w' + i; this.parts = [{ part: 'p' + i }] }
  }
  var widgets = [];
  for (let i = 0; i < COUNT; i++) widgets.push(new Widget(i));
  var config = { mode: 'sandbox', nested: { deep: ['x', 'y'] } };
  var makeGetter = (label) => () => label + config.mode;
  var getter = makeGetter('ctx:');
  globalThis.fromHost = hostObject; // hold an object created by the main context
  var bigStore = new Map();
  for (let i = 0; i < COUNT * 10; i++) bigStore.set('k' + i, { v: 'entry' + i });
`

class HostThing { constructor (tag) { this.tag = tag } }

const contexts = []
for (let c = 0; c < 3; c++) {
  const sandbox = { COUNT: 20 + c * 10, hostObject: new HostThing('host' + c), label: 'sandbox-' + c }
  vm.createContext(sandbox, { name: 'parity-context-' + c })
  vm.runInContext(sandboxCode, sandbox, { filename: 'sandbox' + c + '.js' })
  contexts.push(sandbox)
}

// A second class named Widget in yet another context, different script.
const other = vm.createContext({})
vm.runInContext(
  'class Widget { constructor () { this.other = "yes" } }; var w = [new Widget(), new Widget()];',
  other,
  { filename: 'other-widget.js' }
)

// A context retained only through a closure created inside it.
const onlyViaFunction = vm.runInNewContext(
  'var secret = { secretPayload: new Array(50).fill("s") }; (function reveal () { return secret })',
  { note: 'anonymous context' }
)

// Objects from a context held by the host.
const crossRefs = contexts.map((ctx) => vm.runInContext('widgets[0]', ctx))

globalThis.vmScenario = { contexts, other, onlyViaFunction, crossRefs }

v8.writeHeapSnapshot(out)
