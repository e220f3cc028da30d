// express; /search?q=... answers are cached by full URL (query string included, and every client
// sends a unique one). "map": a module-level Map responseCache, URL -> body string, with no
// eviction; "node-cache": node-cache with stdTTL 0 (no expiry), so NodeCache.data keeps every
// entry; "control": lru-cache bounded to 20 entries.
'use strict';
const express = require('express');
const NodeCache = require('node-cache');
const { LRUCache } = require('lru-cache');
const listen = require('./listen');

const mode = process.argv[2] || 'control';
const responseCache = new Map();
const nodeCache = new NodeCache({ stdTTL: 0, checkperiod: 0, useClones: false });
const lru = new LRUCache({ max: 20 });

const cache = {
  map: { get: (k) => responseCache.get(k), set: (k, v) => responseCache.set(k, v) },
  'node-cache': { get: (k) => nodeCache.get(k), set: (k, v) => nodeCache.set(k, v) },
  control: { get: (k) => lru.get(k), set: (k, v) => lru.set(k, v) },
}[mode];

function search(q) {
  const hits = [];
  for (let i = 0; i < 5; i++) hits.push({ sku: `${q}-${i}`, title: `Result ${i} for ${q}`, price: 10 + i });
  return JSON.stringify({ q, hits });
}

const app = express();
app.get('/search', (req, res) => {
  const key = req.originalUrl;
  let body = cache.get(key);
  if (body === undefined) {
    body = search(String(req.query.q || ''));
    cache.set(key, body);
  }
  res.type('json').send(body);
});
listen(app);
