// express + axios: /orders/:id calls an upstream (this same server's /upstream/:id) through one
// shared axios instance, forwarding the caller's request id. "leak": it does so by registering a
// request interceptor per request, a closure capturing req, which is never ejected, so the
// instance's InterceptorManager.handlers keeps every request (and every upstream call runs them
// all). "control": the header goes in the per-call config, no interceptor.
'use strict';
const http = require('http');
const express = require('express');
const axios = require('axios');
const listen = require('./listen');

const mode = process.argv[2] || 'control';
let api = null;

const app = express();
app.get('/upstream/:id', (req, res) => res.json({ id: req.params.id, rid: req.get('x-request-id') || null }));
app.get('/orders/:id', async (req, res, next) => {
  try {
    let config;
    if (mode === 'leak') {
      api.interceptors.request.use((cfg) => {
        cfg.headers['x-request-id'] = req.get('x-request-id');
        return cfg;
      });
    } else {
      config = { headers: { 'x-request-id': req.get('x-request-id') } };
    }
    const upstream = await api.get(`/upstream/${req.params.id}`, config);
    res.json({ id: req.params.id, upstream: upstream.data });
  } catch (err) {
    next(err);
  }
});
listen(app, (port) => {
  api = axios.create({
    baseURL: `http://127.0.0.1:${port}`,
    timeout: 10000,
    httpAgent: new http.Agent({ keepAlive: false }),
  });
});
