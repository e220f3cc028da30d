// Load driver for the leak corpus: node load.js PORT SPEC... where SPEC is COUNTxPATH, e.g.
// `40x/orders/{n}` (40 sequential GETs; {n} becomes a token unique to this run and request, so
// every URL differs). Requests go to 127.0.0.1:PORT one at a time, carry an x-request-id header
// and no cookies, and the driver exits by itself: 0 when every request got a 2xx answer, 1 otherwise
// (or when the whole run takes more than two minutes).
'use strict';
const http = require('http');

const port = Number(process.argv[2]);
const plan = [];
for (const spec of process.argv.slice(3)) {
  const m = /^(\d+)x(\/.*)$/.exec(spec);
  if (!m) { console.error(`load.js: bad spec ${spec} (expected COUNTx/PATH)`); process.exit(2); }
  for (let i = 0; i < Number(m[1]); i++) plan.push(m[2]);
}
if (!(port > 0) || plan.length === 0) { console.error('usage: node load.js PORT COUNTx/PATH...'); process.exit(2); }
setTimeout(() => { console.error('load.js: gave up after 120 s'); process.exit(1); }, 120000).unref();

const agent = new http.Agent({ keepAlive: false });
const run = `${process.pid.toString(36)}${Date.now().toString(36)}`;
let done = 0;

function one() {
  if (done === plan.length) return;
  const token = `${run}-${done}`;
  const path = plan[done].replace(/\{n\}/g, token);
  http.get({ host: '127.0.0.1', port, path, agent, headers: { 'x-request-id': token } }, (res) => {
    if (res.statusCode < 200 || res.statusCode > 299) {
      console.error(`load.js: ${path} answered ${res.statusCode}`);
      process.exit(1);
    }
    res.resume();
    res.on('end', () => { done++; one(); });
  }).on('error', (e) => { console.error(`load.js: ${path}: ${e.message}`); process.exit(1); });
}
one();
