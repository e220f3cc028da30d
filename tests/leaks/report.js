// express; /report renders a CSV export of about 10 MiB into one Buffer. "leak": every report is
// pushed onto the module-level array savedReports ("keep them for re-download") and never dropped, so
// each exercise round adds one large object. "control": only the latest report is kept.
'use strict';
const express = require('express');
const listen = require('./listen');

const mode = process.argv[2] || 'control';
const REPORT_BYTES = 10 * 1024 * 1024;
const savedReports = [];
let latest = null;

function render(id) {
  const buf = Buffer.alloc(REPORT_BYTES);
  const row = Buffer.from(`${id},order,42.50,EUR,shipped\n`);
  for (let at = 0; at + row.length <= buf.length; at += row.length) row.copy(buf, at);
  return buf;
}

const app = express();
app.get('/report', (req, res) => {
  const buf = render(req.get('x-request-id') || 'r');
  if (mode === 'leak') savedReports.push(buf);
  else latest = buf;
  res.json({ bytes: buf.length, kept: mode === 'leak' ? savedReports.length : 1, latest: latest !== null });
});
app.get('/orders/:id', (req, res) => res.json({ id: req.params.id }));
listen(app);
