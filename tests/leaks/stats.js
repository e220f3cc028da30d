// A hand-written latency stats module, the kind kept beside prom-client to answer "what is our
// p99?": every sample is pushed into the module-level array latencies. Unbounded by default (the
// leak: one number per request, forever); configure({ maxSamples }) makes it a bounded window.
'use strict';
const latencies = [];
let maxSamples = Infinity;

function configure(options) { maxSamples = options.maxSamples; }

function record(ms) {
  latencies.push(ms);
  if (latencies.length > maxSamples) latencies.splice(0, latencies.length - maxSamples);
}

function percentile(p) {
  if (latencies.length === 0) return 0;
  const sorted = latencies.slice().sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

module.exports = { configure, record, percentile };
