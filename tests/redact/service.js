// A login service with secrets in its heap, the way services hold them: express with
// express-session's MemoryStore (the session secret in the cookie signer's closure, the sessions as
// JSON strings keyed by session id), an lru-cache of API tokens, user records with e-mail addresses
// and non-ASCII notes, and a database password in a closure (one part written in this source).
//
// Usage: node service.js A.heapsnapshot B.heapsnapshot SECRETS.json
//        node --inspect=127.0.0.1:0 service.js --serve SECRETS.json
// It listens on 127.0.0.1 (port 0) and logs users in through real HTTP requests to itself. Then it
// writes snapshot A, logs more users in, writes snapshot B (one process, so the two compare), writes
// the secrets it knows its heap holds to SECRETS.json, and exits; or, with --serve, writes the
// secrets and stays up to be captured until it is killed. Modules come from NODE_PATH.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const v8 = require('v8');
const express = require('express');
const session = require('express-session');
const { LRUCache } = require('lru-cache');

const serve = process.argv[2] === '--serve';
const [outA, outB, secretsOut] = serve ? [null, null, process.argv[3]] : process.argv.slice(2);
const hex = (n) => crypto.randomBytes(n).toString('hex');
const secrets = { values: [], session_ids: [], literal: [] };

const SESSION_SECRET = `sess-${hex(16)}`;
const DB_PASSWORD_PREFIX = 'correct-horse-battery-staple-4f1d9c';
secrets.values.push(SESSION_SECRET);
secrets.literal.push(DB_PASSWORD_PREFIX);

class DatabaseClient {
  constructor(password) {
    let queries = 0;
    // The password lives only in this closure's context.
    this.query = (sql) => { queries += 1; return `${sql.length}:${password.length}:${queries}`; };
  }
}
const dbPassword = [DB_PASSWORD_PREFIX, hex(8)].join(':');
secrets.values.push(dbPassword);
const db = new DatabaseClient(dbPassword);

class UserDirectory {
  constructor() { this.records = []; }
  add(record) { this.records.push(record); }
}
const directory = new UserDirectory();
const tokens = new LRUCache({ max: 10000 });

const app = express();
app.use(express.json());
app.use(session({ name: 'app.sid', secret: SESSION_SECRET, resave: false, saveUninitialized: false }));
app.post('/login', (req, res) => {
  const { email, password } = req.body;
  const token = `tok_${hex(20)}`;
  const digest = crypto.createHash('sha256').update(password).digest('hex');
  req.session.user = { email, token };
  tokens.set(token, { email, digest });
  directory.add({ email, digest, note: ['Zürich Straße 東京 🔑', req.body.nonce].join(' ') });
  db.query('update users set last_login = now()');
  res.json({ ok: true, token });
});

function post(port, body) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request({ host: '127.0.0.1', port, path: '/login', method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
      const cookie = (res.headers['set-cookie'] || [])[0] || '';
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ cookie, reply: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

async function logins(port, n) {
  for (let i = 0; i < n; i++) {
    const email = `ada.lovelace.${hex(6)}@example.com`;
    const nonce = hex(6);
    const { cookie, reply } = await post(port, { email, password: `pw-${hex(12)}`, nonce });
    // The cookie is "app.sid=s%3A<session id>.<signature>; Path=/; HttpOnly"
    const sid = decodeURIComponent(cookie.split(';')[0].split('=')[1]).slice(2).split('.')[0];
    secrets.values.push(email, reply.token, ['Zürich Straße 東京 🔑', nonce].join(' '));
    secrets.session_ids.push(sid);
  }
}

const server = app.listen(0, '127.0.0.1', async () => {
  const { port } = server.address();
  try {
    await logins(port, 25);
    if (!serve) v8.writeHeapSnapshot(outA);
    await logins(port, 25);
    if (!serve) v8.writeHeapSnapshot(outB);
    for (const r of directory.records) secrets.values.push(r.digest);
    fs.writeFileSync(secretsOut + '.part', JSON.stringify(secrets));
    fs.renameSync(secretsOut + '.part', secretsOut);
  } catch (e) {
    console.error(e);
    process.exitCode = 1;
  }
  if (serve && !process.exitCode) return; // captured from outside, then killed
  server.close();
  server.closeAllConnections();
});
