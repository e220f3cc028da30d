// express + winston: a child logger per request, carrying the request id, kept in the module-level
// Map requestLoggers so that code deep in the call stack can find it by id. "leak": the entry is
// never deleted. "control": it is deleted when the response finishes. Log lines go to /dev/null.
'use strict';
const fs = require('fs');
const express = require('express');
const winston = require('winston');
const listen = require('./listen');

const mode = process.argv[2] || 'control';
const logger = winston.createLogger({
  level: 'info',
  format: winston.format.json(),
  transports: [new winston.transports.Stream({ stream: fs.createWriteStream('/dev/null') })],
});
const requestLoggers = new Map();

const app = express();
app.use((req, res, next) => {
  const rid = req.get('x-request-id');
  requestLoggers.set(rid, logger.child({ requestId: rid, path: req.originalUrl }));
  if (mode === 'control') res.on('finish', () => requestLoggers.delete(rid));
  req.rid = rid;
  next();
});
app.get('/orders/:id', (req, res) => {
  requestLoggers.get(req.rid).info('order viewed', { order: req.params.id });
  res.json({ id: req.params.id });
});
listen(app);
