// Two snapshots of one process with maps, sets, strings and closures replaced between them.
'use strict';
const v8 = require('v8');
const state = { cache: new Map(), seen: new Set(), fns: [] };
for (let i = 0; i < 400; i++) state.cache.set('k' + i, { value: 'v'.repeat(i % 40), i });
for (let i = 0; i < 300; i++) state.fns.push(() => i);
globalThis.state = state;
v8.writeHeapSnapshot(process.argv[2]);
for (let i = 0; i < 400; i += 2) state.cache.delete('k' + i);
for (let i = 0; i < 700; i++) state.seen.add('s' + i + '-' + 'z'.repeat(i % 13));
state.fns = state.fns.slice(150).concat(Array.from({ length: 250 }, (_, i) => function named() { return i; }));
v8.writeHeapSnapshot(process.argv[3]);
