// A small HTTP service for the leak-hunt tests, listening on 127.0.0.1 (port printed on stdout).
// argv[2] picks its bug: "listeners" (a listener per request, never removed), "cache" (a response
// cache with no eviction), "timers" (a polling interval per request, never cleared), or "control"
// (the same work, nothing kept beyond a small bounded cache).
'use strict';
const http = require('http');
const { EventEmitter } = require('events');

const mode = process.argv[2] || 'control';
const configBus = new EventEmitter();
configBus.setMaxListeners(0);

class RequestContext {
  constructor(id, url) { this.id = id; this.url = url; this.started = Date.now(); this.tags = ['t' + id]; }
}
class CachedResponse {
  constructor(key, body) { this.key = key; this.body = body; this.at = Date.now(); }
}
class Poller {
  constructor(id) { this.id = id; this.polls = 0; this.target = { url: '/upstream/' + id }; }
}

const responseCache = new Map();
const recent = [];  // the control's bounded cache
let next = 0;

function handle(req, res) {
  if (req.url.startsWith('/json')) {  // a tool probing for an inspector: not the service's traffic
    res.statusCode = 404;
    res.end();
    return;
  }
  const id = ++next;
  const ctx = new RequestContext(id, req.url);
  const body = JSON.stringify({ id, url: req.url, at: ctx.started, pad: 'x'.repeat(64) });
  if (mode === 'listeners') {
    configBus.on('reload', () => { ctx.reloaded = true; });
  } else if (mode === 'cache') {
    responseCache.set(req.url + '#' + id, new CachedResponse(req.url, body));
  } else if (mode === 'timers') {
    const poller = new Poller(id);
    setInterval(() => { poller.polls++; }, 1 << 30);
  } else {
    recent.push(new CachedResponse(req.url, body));
    if (recent.length > 10) recent.shift();
  }
  res.setHeader('content-type', 'application/json');
  res.setHeader('connection', 'close');
  res.end(body);
}

const server = http.createServer(handle);
server.keepAliveTimeout = 1;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
