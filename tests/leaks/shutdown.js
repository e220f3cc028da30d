// express; graceful shutdown: each request registers a hook (a closure over its response) in the
// module-level Set shutdownHooks, so that SIGTERM can answer every open request before exiting.
// "leak": the hook is never deleted when the request is done, so the Set keeps every request's
// closure, and through it res, req and their socket.
'use strict';
const express = require('express');
const listen = require('./listen');

const shutdownHooks = new Set();

const app = express();
app.use((req, res, next) => {
  const hook = () => { if (!res.headersSent) res.status(503).json({ error: 'shutting down' }); };
  shutdownHooks.add(hook);
  next();
});
app.get('/orders/:id', (req, res) => res.json({ id: req.params.id, open: shutdownHooks.size }));
process.on('SIGTERM', () => {
  for (const hook of shutdownHooks) hook();
  process.exit(0);
});
listen(app);
