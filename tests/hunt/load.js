// Exercise for the hunt tests: N sequential GET requests to 127.0.0.1:PORT, then exit.
'use strict';
const http = require('http');
const [port, n] = [Number(process.argv[2]), Number(process.argv[3] || 50)];
const agent = new http.Agent({ keepAlive: false });
let done = 0;
function one() {
  if (done === n) return;
  http.get({ host: '127.0.0.1', port, path: '/orders/' + (done % 7), agent }, (res) => {
    res.resume();
    res.on('end', () => { done++; one(); });
  }).on('error', (e) => { console.error(e.message); process.exit(1); });
}
one();
