// DevTools' Summary search on one snapshot, through DevTools' own code (heap-snapshot-toolkit):
// for each query given as JSON [text, caseSensitive, isRegex], the ids of the objects it finds.
import { createReadStream } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const dir = process.env.HEAPTUI_TOOLKIT_DIR
const toolkit = await import(pathToFileURL(path.join(dir, 'node_modules', 'heap-snapshot-toolkit', 'index.js')).href)
const snapshot = await toolkit.parse(createReadStream(process.argv[2], 'utf-8'))
const model = toolkit.DevToolsAPI.HeapSnapshotModel
const out = []
for (const [text, caseSensitive, isRegex] of JSON.parse(process.argv[3])) {
  const config = new model.SearchConfig(text, caseSensitive, isRegex, false, false)
  out.push(snapshot.search(config, new model.NodeFilter()))
}
// exit only once the pipe has taken it all (a large result is written in pieces)
process.stdout.write(JSON.stringify(out), () => process.exit(0))
