// express + express-session with the default MemoryStore. Clients that send no cookie (health
// checks, bots, API clients) each get a new session; with saveUninitialized: true ("leak") every
// one of them is stored, as a JSON string, in MemoryStore.sessions forever (cookies without maxAge
// never expire). "control": saveUninitialized: false, the fix, stores only sessions a route writes.
'use strict';
const express = require('express');
const session = require('express-session');
const listen = require('./listen');

const mode = process.argv[2] || 'control';
const app = express();
app.use(session({
  name: 'shop.sid',
  secret: 'leak-corpus',
  resave: false,
  saveUninitialized: mode === 'leak',
}));
app.get('/products/:id', (req, res) => {
  // Reads the session, writes nothing to it.
  res.json({ id: req.params.id, name: `Product ${req.params.id}`, seen: req.session.views || 0 });
});
listen(app);
