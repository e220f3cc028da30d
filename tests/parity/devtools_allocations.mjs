// DevTools' Allocation view of a tracked snapshot, through DevTools' own code (heap-snapshot-toolkit):
// allocationTracesTops(), one row per allocating function (what it allocated while tracking ran, and
// what of that is still alive). One JSON document on stdout.
import { createReadStream } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const dir = process.env.HEAPTUI_TOOLKIT_DIR
const toolkit = await import(pathToFileURL(path.join(dir, 'node_modules', 'heap-snapshot-toolkit', 'index.js')).href)
const [file] = process.argv.slice(2)
const snapshot = await toolkit.parse(createReadStream(file, 'utf-8'))
const tops = snapshot.allocationTracesTops().map((n) => ({
  function: n.name, script: n.scriptName, line: n.line, column: n.column,
  count: n.count, size: n.size, live_count: n.liveCount, live_size: n.liveSize
}))
process.stdout.write(JSON.stringify(tops), () => process.exit(0))
