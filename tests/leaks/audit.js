// express; an in-memory audit trail kept as a linked list: every request prepends an AuditEntry
// pointing at the previous one, and the module-level variable auditTrail points at the newest.
// "leak": nothing ever cuts the list, so it grows by one entry per request, forever.
'use strict';
const express = require('express');
const listen = require('./listen');

class AuditEntry {
  constructor(rid, method, url, prev) {
    this.rid = rid;
    this.method = method;
    this.url = url;
    this.at = new Date();
    this.prev = prev;
  }
}

let auditTrail = null;

const app = express();
app.use((req, res, next) => {
  auditTrail = new AuditEntry(req.get('x-request-id'), req.method, req.originalUrl, auditTrail);
  next();
});
app.get('/orders/:id', (req, res) => res.json({ id: req.params.id, audited: auditTrail.rid }));
listen(app);
