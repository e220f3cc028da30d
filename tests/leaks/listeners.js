// express + eventemitter3: a module-level bus announces config reloads. Each request subscribes a
// listener that captures its req and res (to flag the response as stale). "leak": the listener is
// never removed, so the bus keeps every request's closure, and through it req, res and their
// socket. "control": the listener is removed when the response finishes.
'use strict';
const express = require('express');
const EventEmitter = require('eventemitter3');
const listen = require('./listen');

const mode = process.argv[2] || 'control';
const configBus = new EventEmitter();

const app = express();
app.get('/orders/:id', (req, res) => {
  const onReload = () => { res.locals.stale = true; req.headers['x-config-stale'] = '1'; };
  configBus.on('reload', onReload);
  if (mode === 'control') res.on('finish', () => configBus.off('reload', onReload));
  res.json({ id: req.params.id, listeners: configBus.listenerCount('reload') });
});
listen(app);
