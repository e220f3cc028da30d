// express; each /jobs request starts polling the job's status with setInterval and appends a log
// line (text) to the module-level array pollLog on every poll. "leak": the interval is never
// cleared, so every request adds a timer that keeps appending forever. "control": the interval is
// cleared when the response finishes, and pollLog keeps only its last 20 lines.
'use strict';
const express = require('express');
const listen = require('./listen');

const mode = process.argv[2] || 'control';
const POLL_MS = 250;
const pollLog = [];

const app = express();
app.get('/jobs/:id', (req, res) => {
  const job = { id: req.params.id, url: req.originalUrl, polls: 0 };
  const poll = () => {
    job.polls++;
    pollLog.push(JSON.stringify({ job: job.id, url: job.url, poll: job.polls, at: Date.now() }));
    if (mode === 'control' && pollLog.length > 20) pollLog.splice(0, pollLog.length - 20);
  };
  poll();
  const timer = setInterval(poll, POLL_MS);
  if (mode === 'control') res.on('finish', () => clearInterval(timer));
  res.json({ id: job.id, state: 'running' });
});
listen(app);
