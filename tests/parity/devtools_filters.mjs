// DevTools' named Summary filters ("Duplicated strings", "Objects retained by detached DOM nodes",
// "Objects retained by the DevTools console") on one snapshot, through DevTools' own code
// (heap-snapshot-toolkit): the class rows the Summary shows with each filter. One JSON document.
import { createReadStream } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const dir = process.env.HEAPTUI_TOOLKIT_DIR
const toolkit = await import(pathToFileURL(path.join(dir, 'node_modules', 'heap-snapshot-toolkit', 'index.js')).href)
const snapshot = await toolkit.parse(createReadStream(process.argv[2], 'utf-8'))
const out = {}
for (const [ours, theirs] of [['duplicated-strings', 'duplicatedStrings'],
  ['retained-by-detached-dom', 'objectsRetainedByDetachedDomNodes'],
  ['retained-by-console', 'objectsRetainedByConsole']]) {
  const filter = new toolkit.DevToolsAPI.HeapSnapshotModel.NodeFilter()
  filter.filterName = theirs
  out[ours] = Object.values(snapshot.aggregatesWithFilter(filter)).map((a) => ({
    name: a.name, count: a.count, distance: a.distance, self_size: a.self, retained_size: a.maxRet
  }))
}
process.stdout.write(JSON.stringify(out), () => process.exit(0))  // once the pipe has it all
