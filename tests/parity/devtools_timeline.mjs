// DevTools' allocation timeline of a tracked snapshot, through DevTools' own code (heap-snapshot-toolkit):
// the samples (time, last assigned id, live size per interval), and the Summary for an id range
// (the timeline's selection) when MIN and MAX are given. One JSON document.
import { createReadStream } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const dir = process.env.HEAPTUI_TOOLKIT_DIR
const toolkit = await import(pathToFileURL(path.join(dir, 'node_modules', 'heap-snapshot-toolkit', 'index.js')).href)
const [file, min, max] = process.argv.slice(2)
const snapshot = await toolkit.parse(createReadStream(file, 'utf-8'))
const samples = snapshot.getSamples()
const out = {
  times: samples ? Array.from(samples.timestamps) : [],
  lastIds: samples ? Array.from(samples.lastAssignedIds) : [],
  sizes: samples ? Array.from(samples.sizes) : []
}
if (min !== undefined) {
  const filter = new toolkit.DevToolsAPI.HeapSnapshotModel.NodeFilter(Number(min), Number(max))
  out.range = Object.values(snapshot.aggregatesWithFilter(filter)).map((a) => ({
    name: a.name, count: a.count, distance: a.distance, self_size: a.self, retained_size: a.maxRet
  }))
}
process.stdout.write(JSON.stringify(out), () => process.exit(0))
