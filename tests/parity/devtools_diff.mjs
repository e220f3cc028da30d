// DevTools' Comparison view on BASE and CURRENT, through DevTools' own code (heap-snapshot-toolkit):
// the base is classified with the current snapshot's interface definitions, as the panel does, and
// also the "objects allocated between" summary of CURRENT (an id-range NodeFilter). One JSON document.
import { createReadStream } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const dir = process.env.HEAPTUI_TOOLKIT_DIR
const toolkit = await import(pathToFileURL(path.join(dir, 'node_modules', 'heap-snapshot-toolkit', 'index.js')).href)
const [basePath, currentPath] = process.argv.slice(2)
const base = await toolkit.parse(createReadStream(basePath, 'utf-8'))
const current = await toolkit.parse(createReadStream(currentPath, 'utf-8'))

const baseAggregates = await base.aggregatesForDiff(await current.interfaceDefinitions())
const diff = await current.calculateSnapshotDiff(base.uid, baseAggregates)
const rows = Object.values(diff).map((r) => ({
  name: r.name, new_count: r.addedCount, deleted_count: r.removedCount, count_delta: r.countDelta,
  alloc_size: r.addedSize, freed_size: r.removedSize, size_delta: r.sizeDelta
}))

const maxJsId = (s) => { let m = 0; for (let i = 0; i < s.nodeCount; i++) { const id = s.createNode(i * s.nodeFieldCount).id(); if (id % 2 === 1 && id > m) m = id } return m }
const filter = new toolkit.DevToolsAPI.HeapSnapshotModel.NodeFilter(maxJsId(base), maxJsId(current))
const between = Object.values(current.aggregatesWithFilter(filter)).map((a) => ({
  name: a.name, count: a.count, distance: a.distance, self_size: a.self, retained_size: a.maxRet
}))
const convenience = Object.values(await toolkit.diff(base, current)).map((r) => ({
  name: r.name, new_count: r.addedCount, deleted_count: r.removedCount, count_delta: r.countDelta,
  alloc_size: r.addedSize, freed_size: r.removedSize, size_delta: r.sizeDelta
}))
const sameDefinitions = (await base.interfaceDefinitions()) === (await current.interfaceDefinitions())
// Exit only once the whole document is written: stdout to a pipe is asynchronous, and exiting at once
// cuts it at 64 kB.
process.stdout.write(JSON.stringify({ rows, between, sameDefinitions, convenience }), () => process.exit(0))
