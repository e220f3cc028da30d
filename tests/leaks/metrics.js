// express + prom-client request metrics, three ways:
//   "numbers": the route label is the route pattern (bounded), but every latency is also pushed,
//              forever, into the hand-written stats module's array (stats.js: latencies);
//   "labels":  the histogram's path label is the raw URL, query string and all, so every request
//              creates a new label set that prom-client keeps in Histogram.hashMap (unbounded
//              cardinality, the classic Prometheus mistake);
//   "control": route pattern as the label, stats bounded to its last 100 samples.
'use strict';
const express = require('express');
const client = require('prom-client');
const stats = require('./stats');
const listen = require('./listen');

const mode = process.argv[2] || 'control';
if (mode !== 'numbers') stats.configure({ maxSamples: 100 });

const duration = new client.Histogram({
  name: 'http_request_duration_seconds',
  help: 'Duration of HTTP requests in seconds',
  labelNames: ['method', 'path', 'status'],
  buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
});

const app = express();
app.use((req, res, next) => {
  const start = process.hrtime.bigint();
  res.on('finish', () => {
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const path = mode === 'labels' ? req.originalUrl : (req.route ? req.route.path : 'unmatched');
    duration.observe({ method: req.method, path, status: res.statusCode }, ms / 1000);
    stats.record(ms);
  });
  next();
});
app.get('/orders/:id', (req, res) => {
  res.json({ id: req.params.id, total: 42.5, p99: stats.percentile(99) });
});
app.get('/metrics', async (req, res) => {
  res.type(client.register.contentType).send(await client.register.metrics());
});
listen(app);
