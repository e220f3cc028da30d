// Two snapshots of one process where only class instances change (no plain objects), so both
// snapshots infer the same `{...}` interface definitions.
'use strict';
const v8 = require('v8');
class Widget { constructor(i) { this.i = i; this.label = 'widget ' + i; } }
class Gadget { constructor(w) { this.w = w; } }
const store = new Array(0);
for (let i = 0; i < 400; i++) store.push(new Widget(i));
globalThis.store = store;
v8.writeHeapSnapshot(process.argv[2]);
store.splice(0, 150);
for (let i = 0; i < 250; i++) store.push(new Gadget(new Widget(1000 + i)));
v8.writeHeapSnapshot(process.argv[3]);
