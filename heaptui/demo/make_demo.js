// Makes heaptui's demo snapshots: a tiny "order service" that leaks in three ways, snapshotted
// after warm-up (baseline) and after more traffic (leaking), in one process so object ids match.
// Run: env -i PATH="$PATH" node make_demo.js OUTDIR   (a clean environment keeps the files neutral)
'use strict';
const v8 = require('v8');
const path = require('path');
const { EventEmitter } = require('events');

class Order {
  constructor(id, customer) {
    this.id = id;
    this.customer = customer;
    this.items = [{ sku: 'sku-' + (id % 97), qty: 1 + (id % 3) }];
    this.note = 'order note ' + id;
  }
}

class ResponseCache {           // leak 1: a cache with no eviction
  constructor() { this.entries = new Map(); }
  remember(key, body) { this.entries.set(key, { body, at: Date.now() }); }
}

class Session {                  // leak 2: per-request listeners never removed
  constructor(id, bus) {
    this.id = id;
    this.buffer = Buffer.alloc(256, id % 256);
    bus.on('config', () => { this.lastConfig = Date.now(); });
  }
}

const bus = new EventEmitter();
bus.setMaxListeners(0);
const cache = new ResponseCache();
const timers = [];               // leak 3: intervals kept alive by handles
let next = 1;

function handleRequest() {
  const id = next++;
  const order = new Order(id, { name: 'customer ' + (id % 50), tier: id % 5 === 0 ? 'gold' : 'basic' });
  cache.remember('/orders/' + id, JSON.stringify(order));
  new Session(id, bus);
  if (id % 20 === 0) {
    const t = setInterval(() => order.items.length, 1 << 30);
    timers.push(t);
  }
}

function traffic(n) { for (let i = 0; i < n; i++) handleRequest(); }

const out = process.argv[2] || '.';
traffic(200);                    // warm-up
globalThis.gc && globalThis.gc();
v8.writeHeapSnapshot(path.join(out, 'demo-baseline.heapsnapshot'));
traffic(3000);                   // exercise: the leaks grow
v8.writeHeapSnapshot(path.join(out, 'demo-leaking.heapsnapshot'));
for (const t of timers) clearInterval(t);
