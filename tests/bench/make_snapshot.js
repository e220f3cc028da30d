#!/usr/bin/env node
// Build a realistic-looking JS heap of a chosen size and write a V8 heap
// snapshot of it with v8.writeHeapSnapshot().
//
//   node --max-old-space-size=16000 tests/bench/make_snapshot.js --size 250 OUT
//
// --size N    target snapshot file size in MB (10^6 bytes); calibrated so that
//             N=250 gives ~250 MB / ~3M nodes / ~10M edges and N=1000 gives
//             ~1 GB / ~12M nodes / ~40M edges (within a few percent).
// --units U   override: build exactly U "units" of objects (for calibration).
// --seed S    PRNG seed (default 1); the same seed gives the same object graph.
//
// The heap mixes: class instances with several fields (User, Profile, Order,
// Session, TreeNode, ListNode, Emitter), plain objects in a few shapes, arrays
// (packed smi, double, object, string, holey), Maps and Sets, many distinct
// strings (flat, cons and sliced), closures sharing contexts, cycles
// (parent/child back references, friend lists, doubly-linked lists), binary
// trees and linked lists hanging off a few roots (not one flat array).
//
// Prints the node/edge counts read back from the snapshot header and the file
// size. If the V8 heap limit is too small for the requested size, the script
// re-runs itself with a larger --max-old-space-size.
'use strict';

const fs = require('fs');
const path = require('path');
const v8 = require('v8');
const { spawnSync } = require('child_process');

// ---------------------------------------------------------------- calibration
// A "unit" (one iteration of the loop in build()) is ~960 heap nodes and
// ~3,180 edges. File bytes per unit grow slowly with the unit count (node ids
// and edge target indexes get more digits), so --size is turned into a unit
// count by interpolating this table, measured with node 20.20 (x64, Linux):
//   [units, file bytes per unit above the BASE_BYTES of a bare node process]
const CALIBRATION = [[300, 73700], [1000, 74800], [3300, 77200], [13500, 79000]];
const BASE_BYTES = 3.9e6;
// JS heap needed per unit while building (live objects); used to pick a heap
// limit when re-executing ourselves.
const HEAP_BYTES_PER_UNIT = 60e3;

function bytesPerUnit(units) {
  const t = CALIBRATION;
  const x = Math.log(Math.max(units, 1));
  if (units <= t[0][0]) return t[0][1];
  for (let i = 1; i < t.length; i++) {
    if (units <= t[i][0]) {
      const x0 = Math.log(t[i - 1][0]);
      const x1 = Math.log(t[i][0]);
      return t[i - 1][1] + (t[i][1] - t[i - 1][1]) * (x - x0) / (x1 - x0);
    }
  }
  // extrapolate the last segment (grows ~log of the count)
  const n = t.length;
  const x0 = Math.log(t[n - 2][0]);
  const x1 = Math.log(t[n - 1][0]);
  return t[n - 1][1] + (t[n - 1][1] - t[n - 2][1]) * (x - x1) / (x1 - x0);
}

function unitsForSize(mb) {
  const target = Math.max(mb * 1e6 - BASE_BYTES, 1);
  let units = target / bytesPerUnit(10000);
  for (let i = 0; i < 30; i++) units = target / bytesPerUnit(units);
  return Math.max(1, Math.round(units));
}

function usage(msg) {
  if (msg) process.stderr.write(`make_snapshot.js: ${msg}\n`);
  process.stderr.write(
    'usage: node [--max-old-space-size=MB] make_snapshot.js ' +
    '(--size MB | --units N) [--seed S] OUT.heapsnapshot\n');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { size: null, units: null, seed: 1, out: null, noReexec: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--size') opts.size = Number(next());
    else if (a.startsWith('--size=')) opts.size = Number(a.slice(7));
    else if (a === '--units') opts.units = Number(next());
    else if (a.startsWith('--units=')) opts.units = Number(a.slice(8));
    else if (a === '--seed') opts.seed = Number(next());
    else if (a.startsWith('--seed=')) opts.seed = Number(a.slice(7));
    else if (a === '--no-reexec') opts.noReexec = true;
    else if (a === '-h' || a === '--help') usage();
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else if (opts.out === null) opts.out = a;
    else usage(`unexpected argument ${a}`);
  }
  if (!opts.out) usage('missing OUT path');
  if (opts.units === null) {
    if (!(opts.size > 0)) usage('give --size MB (> 0) or --units N');
    opts.units = unitsForSize(opts.size);
  }
  if (!(opts.units >= 1)) usage('--units must be >= 1');
  opts.units = Math.floor(opts.units);
  return opts;
}

// ------------------------------------------------------------------ helpers
// Small deterministic PRNG (mulberry32) so runs are reproducible.
function makeRng(seed) {
  let a = (seed >>> 0) || 1;
  return function rng() {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['ada', 'alan', 'grace', 'linus', 'ken', 'dennis', 'barbara', 'edsger',
  'donald', 'margaret', 'john', 'frances', 'niklaus', 'bjarne', 'guido', 'anders',
  'radia', 'sophie', 'tim', 'vint'];
const LAST = ['lovelace', 'turing', 'hopper', 'torvalds', 'thompson', 'ritchie',
  'liskov', 'dijkstra', 'knuth', 'hamilton', 'mccarthy', 'allen', 'wirth',
  'stroustrup', 'rossum', 'hejlsberg', 'perlman', 'wilson', 'berners-lee', 'cerf'];
const WORDS = ('lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod ' +
  'tempor incididunt ut labore et dolore magna aliqua enim ad minim veniam quis ' +
  'nostrud exercitation ullamco laboris nisi aliquip ex ea commodo consequat').split(' ');
const STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded'];
const ROLES = ['admin', 'editor', 'viewer', 'owner', 'guest'];
const EVENTS = ['click', 'keydown', 'focus', 'blur', 'change', 'submit', 'load'];

// -------------------------------------------------------------- the classes
class Profile {
  constructor(bio, age, score, avatarUrl) {
    this.bio = bio;
    this.age = age;
    this.score = score;          // double -> heap number
    this.avatarUrl = avatarUrl;
    this.preferences = null;
  }
}

class User {
  constructor(id, name, email, profile) {
    this.id = id;
    this.name = name;
    this.email = email;
    this.profile = profile;
    this.roles = [];
    this.friends = [];           // references to other users -> cycles
    this.orders = [];
    this.session = null;
    this.createdAt = 1.6e12 + id * 1000.5;
  }
}

class Order {
  constructor(id, user, status) {
    this.id = id;
    this.user = user;            // back reference -> cycle with user.orders
    this.status = status;
    this.items = [];
    this.total = 0;
    this.note = null;
  }
}

class Session {
  constructor(token, user) {
    this.token = token;
    this.user = user;
    this.data = new Map();
    this.expires = Date.now() + 3600e3;
    this.handlers = [];
  }
}

class TreeNode {
  constructor(key, label, parent, index) {
    this.key = key;
    this.label = label;
    this.left = null;
    this.right = null;
    this.parent = parent;        // back reference -> cycle
    this.index = index;          // owning index object -> more cycles
  }
}

class ListNode {
  constructor(value, prev) {
    this.value = value;
    this.prev = prev;
    this.next = null;
  }
}

class Emitter {
  constructor(name) {
    this.name = name;
    this.listeners = Object.create(null);
    this.count = 0;
  }
  on(ev, fn) {
    (this.listeners[ev] || (this.listeners[ev] = [])).push(fn);
    this.count++;
  }
}

// ------------------------------------------------------------------ builder
// Everything reachable hangs off `world`, which is rooted from globalThis.
function build(units, seed) {
  const rng = makeRng(seed);
  const ri = (n) => Math.floor(rng() * n);
  const pick = (arr) => arr[ri(arr.length)];
  const sentence = (n) => {
    const w = [];
    for (let i = 0; i < n; i++) w.push(pick(WORDS));
    return w.join(' ');
  };

  const world = {
    users: new Map(),            // id -> User
    usersByEmail: new Map(),     // email -> User
    orderLog: [],
    sessions: new Set(),
    indexes: [],                 // binary trees
    queues: [],                  // linked lists
    emitters: [],
    caches: [],
    config: [],
    matrices: [],
    misc: [],
  };
  const allUsers = [];           // scratch, dropped after building
  let orderId = 0;
  let uid = 0;
  let strId = 0;

  function makeUser() {
    const id = uid++;
    const first = pick(FIRST);
    const last = pick(LAST);
    const name = `${first} ${last} #${id}`;                        // distinct flat string
    const email = `${first}.${last}.${id}@example${id % 97}.com`;   // distinct
    const profile = new Profile(
      rng() < 0.5 ? sentence(6 + ri(10)) : `bio of ${name}: ${sentence(4)}`,
      18 + ri(60), rng() * 100, `https://cdn.example.com/a/${id.toString(36)}.png`);
    if (rng() < 0.3) profile.preferences = { theme: rng() < 0.5 ? 'dark' : 'light', lang: 'en', beta: rng() < 0.1 };
    const u = new User(id, name, email, profile);
    u.roles.push(pick(ROLES));
    if (rng() < 0.2) u.roles.push(pick(ROLES));
    world.users.set(id, u);
    world.usersByEmail.set(email, u);
    allUsers.push(u);
    return u;
  }

  function makeOrder(u) {
    const o = new Order(orderId++, u, pick(STATUSES));
    const n = 1 + ri(4);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const price = Math.round(rng() * 10000) / 100;
      const qty = 1 + ri(5);
      o.items.push({ sku: `SKU-${ri(50000)}`, qty, price });      // plain object shape A
      total += price * qty;
    }
    o.total = total;
    if (rng() < 0.25) o.note = 'note: ' + sentence(3 + ri(5));   // cons string
    u.orders.push(o);
    world.orderLog.push(o);
    return o;
  }

  function makeSession(u) {
    const token = (rng() * 1e16).toString(36) + (strId++).toString(36);
    const s = new Session(token, u);
    s.data.set('csrf', token.slice(2, 12));                         // sliced/flat
    s.data.set('visits', ri(1000));
    s.data.set('last', { path: '/p/' + ri(1e5), at: Date.now() });  // plain object shape B
    let clicks = 0;
    const onClick = () => { clicks++; return s.token; };            // closure over s
    s.handlers.push(onClick, function onClose() { return u.name + clicks; });
    u.session = s;
    world.sessions.add(s);
    return s;
  }

  function makeTree(n) {
    // balanced-ish binary search tree with parent pointers
    const keys = [];
    for (let i = 0; i < n; i++) keys.push(i * 7 + ri(7));
    const label = `tree-${world.indexes.length}`;
    const index = { name: label, size: n, root: null };
    function rec(lo, hi, parent) {
      if (lo > hi) return null;
      const mid = (lo + hi) >> 1;
      const t = new TreeNode(keys[mid], rng() < 0.3 ? `${label}/${keys[mid]}` : label, parent, index);
      t.left = rec(lo, mid - 1, t);
      t.right = rec(mid + 1, hi, t);
      return t;
    }
    index.root = rec(0, n - 1, null);
    world.indexes.push(index);
    return index.root;
  }

  function makeList(n) {
    const head = new ListNode({ seq: 0, payload: `job-${strId++}` }, null);
    let cur = head;
    for (let i = 1; i < n; i++) {
      const v = rng() < 0.5
        ? { seq: i, payload: `job-${strId++}` }                      // shape C
        : { seq: i, kind: pick(EVENTS), retries: ri(4), ok: true };  // shape D
      const nx = new ListNode(v, cur);
      cur.next = nx;
      cur = nx;
    }
    world.queues.push({ head, tail: cur, length: n });
  }

  function makeEmitter() {
    const e = new Emitter(`emitter-${world.emitters.length}`);
    const state = { fired: 0, last: null };
    for (let i = 0; i < 6; i++) {
      const ev = pick(EVENTS);
      const tag = `${ev}:${strId++}`;
      e.on(ev, (x) => { state.fired++; state.last = tag; return x; }); // shared context
    }
    world.emitters.push(e);
  }

  function makeCache() {
    const m = new Map();
    const n = 10 + ri(30);
    for (let i = 0; i < n; i++) {
      const k = `k:${strId++}:${ri(1e6).toString(16)}`;
      m.set(k, rng() < 0.5 ? [ri(100), ri(100), ri(100)] : { hit: ri(50), v: k.length });
    }
    const set = new Set();
    for (let i = 0; i < 8; i++) set.add(ri(1000));
    world.caches.push({ map: m, seen: set, created: Date.now() });
  }

  function makeMatrix() {
    const rows = [];
    for (let r = 0; r < 4; r++) {
      const row = new Array(8);
      for (let c = 0; c < 8; c++) row[c] = rng();                   // double array
      rows.push(row);
    }
    const ints = [];
    for (let i = 0; i < 16; i++) ints.push(ri(1000));               // smi array
    const holey = [];
    holey[0] = 'a'; holey[5] = { x: 1 }; holey[9] = `h${strId++}`;  // holey, mixed
    world.matrices.push({ rows, ints, holey, buf: new Float64Array(4) });
  }

  function makeConfig() {
    const entries = [];
    for (let i = 0; i < 6; i++) {
      entries.push([`option.${pick(WORDS)}.${strId++}`, rng() < 0.5 ? sentence(2) : ri(100)]);
    }
    const cfg = Object.fromEntries(entries);                         // dictionary-ish objects
    cfg.self = cfg;                                                  // self cycle
    world.config.push(cfg);
  }

  // One unit ~= 1,000 heap nodes. Proportions chosen to resemble a typical
  // server process: lots of domain objects, some indexes and queues,
  // a sprinkle of caches, emitters and configuration.
  for (let unit = 0; unit < units; unit++) {
    for (let i = 0; i < 12; i++) {
      const u = makeUser();
      const no = ri(3);
      for (let j = 0; j < no; j++) makeOrder(u);
      if (rng() < 0.35) makeSession(u);
      if (allUsers.length > 1) {
        const nf = ri(4);
        for (let j = 0; j < nf; j++) {
          const f = allUsers[ri(allUsers.length)];
          u.friends.push(f);
          if (rng() < 0.5) f.friends.push(u);                        // mutual -> cycles
        }
      }
    }
    makeTree(60 + ri(40));
    makeList(40 + ri(40));
    if (unit % 2 === 0) makeEmitter();
    makeCache();
    makeMatrix();
    if (unit % 3 === 0) makeConfig();
    if (unit % 50 === 0) world.misc.push(Symbol(`unit-${unit}`), BigInt(unit) ** 5n, /ab+c/gi);
  }
  return world;
}

// ------------------------------------------------------------------ header
function readHeader(file) {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    const head = buf.toString('utf8', 0, n);
    const nc = /"node_count":(\d+)/.exec(head);
    const ec = /"edge_count":(\d+)/.exec(head);
    return { nodes: nc ? Number(nc[1]) : null, edges: ec ? Number(ec[1]) : null };
  } finally {
    fs.closeSync(fd);
  }
}

function main() {
  const opts = parseArgs(process.argv.slice(2));

  // Make sure the heap limit is large enough; re-exec ourselves if not.
  const neededMB = Math.ceil((opts.units * HEAP_BYTES_PER_UNIT * 1.5) / 1048576) + 512;
  const limitMB = v8.getHeapStatistics().heap_size_limit / 1048576;
  if (limitMB < neededMB && !opts.noReexec) {
    const mb = Math.max(neededMB, 4096);
    process.stderr.write(`heap limit ${Math.round(limitMB)} MB < ~${neededMB} MB needed; re-running with --max-old-space-size=${mb}\n`);
    const r = spawnSync(process.execPath,
      [`--max-old-space-size=${mb}`, __filename, ...process.argv.slice(2), '--no-reexec'],
      { stdio: 'inherit' });
    process.exit(r.status === null ? 1 : r.status);
  }

  const out = path.resolve(opts.out);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.part`;

  const t0 = process.hrtime.bigint();
  globalThis.__heaptuiBenchWorld = build(opts.units, opts.seed);
  const t1 = process.hrtime.bigint();
  const used = process.memoryUsage();
  process.stderr.write(`built ${opts.units} units in ${(Number(t1 - t0) / 1e9).toFixed(1)} s ` +
    `(JS heap used ${(used.heapUsed / 1e6).toFixed(0)} MB, rss ${(used.rss / 1e6).toFixed(0)} MB); writing snapshot...\n`);

  try { fs.unlinkSync(tmp); } catch (_) { /* not there */ }
  v8.writeHeapSnapshot(tmp);
  fs.renameSync(tmp, out);
  const t2 = process.hrtime.bigint();

  const { nodes, edges } = readHeader(out);
  const bytes = fs.statSync(out).size;
  const fmt = (x) => (x === null ? '?' : x.toLocaleString('en-US'));
  process.stdout.write(
    `${out}\n` +
    `  size   ${(bytes / 1e6).toFixed(1)} MB (${fmt(bytes)} bytes)\n` +
    `  nodes  ${fmt(nodes)}\n` +
    `  edges  ${fmt(edges)}\n` +
    `  units  ${opts.units}, build ${(Number(t1 - t0) / 1e9).toFixed(1)} s, ` +
    `snapshot ${(Number(t2 - t1) / 1e9).toFixed(1)} s, peak rss ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB\n`);
}

main();
