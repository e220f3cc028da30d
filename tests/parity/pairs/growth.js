// Two snapshots of one process (argv[2], argv[3]): objects added, objects freed, and plain-object
// shapes whose popularity changes between the two, so each snapshot infers different `{...}` names.
'use strict';
const v8 = require('v8');
class Order { constructor(i) { this.i = i; this.note = 'order ' + i; } }
class Line { constructor(o) { this.order = o; this.qty = 1; } }
const keep = { orders: [], shapes: [], gone: [] };
for (let i = 0; i < 300; i++) keep.orders.push(new Order(i));
for (let i = 0; i < 200; i++) keep.gone.push({ a: 'x' + i, b: 'y' + i });
for (let i = 0; i < 50; i++) keep.shapes.push({ p: 'p' + i, q: 'q' + i });
globalThis.keep = keep;
v8.writeHeapSnapshot(process.argv[2]);
keep.gone = null;                                        // freed
for (let i = 0; i < 500; i++) keep.orders.push(new Order(1000 + i));
keep.lines = keep.orders.slice(0, 400).map((o) => new Line(o));
for (let i = 0; i < 3000; i++) keep.shapes.push({ u: 'u' + i, v: 'v' + i, w: 'w' + i });
keep.orders.splice(0, 100);                              // some old orders freed
v8.writeHeapSnapshot(process.argv[3]);
