'use strict'
// A small HTTP service as people write it for any runtime (node:http, node:v8), run by Bun and by Deno
// (tests/conftest.py installs both from npm at pinned versions). It serves a few requests sent to itself
// on 127.0.0.1, keeps a session per request in a Map and an order history in an array, then writes its
// own heap snapshot with v8.writeHeapSnapshot (both runtimes write V8's format) and exits.
//
// Usage: bun service.cjs OUT.heapsnapshot | deno run -A service.cjs OUT.heapsnapshot
const http = require('node:http')
const v8 = require('node:v8')

const out = process.argv[2]
if (!out) throw new Error('usage: service.cjs OUT.heapsnapshot')

class Session {
  constructor (id, agent) {
    this.id = id
    this.agent = agent
    this.created = Date.now()
    this.cart = []
  }
}

class OrderLine {
  constructor (sku, quantity) {
    this.sku = sku
    this.quantity = quantity
  }
}

const sessions = new Map()
const history = []
let served = 0

const server = http.createServer((req, res) => {
  served += 1
  const id = `sid-${served.toString(36).padStart(6, '0')}`
  const session = new Session(id, req.headers['user-agent'] || 'unknown')
  session.cart.push(new OrderLine(`sku-${served % 17}`, served % 5 + 1))
  sessions.set(id, session)
  history.push({ path: req.url, at: session.created, lines: session.cart.length })
  res.setHeader('content-type', 'application/json')
  res.end(JSON.stringify({ id, lines: session.cart.length }))
})

server.listen(0, '127.0.0.1', async () => {
  const { port } = server.address()
  for (let i = 0; i < 300; i++) {
    const reply = await fetch(`http://127.0.0.1:${port}/orders/${i}`)
    await reply.json()
  }
  server.close()
  globalThis.service = { sessions, history, served }
  v8.writeHeapSnapshot(out)
  process.exit(0)
})
