// DevTools' code exporting every node of a snapshot as a line of JSON: the yardstick for `heaptui nodes`.
//
//   node --max-old-space-size=MB tests/bench/devtools_nodes.mjs FILE [OUT]
//
// Parses FILE with heap-snapshot-toolkit@1.1.3 (DevTools' own worker code: parse, retainers, dominators,
// retained sizes, distances), then iterates every node and writes the object heaptui writes per node
// ({id, type, name, class, self_size, retained_size, distance, dominator}, with DevTools' display name)
// as JSON.stringify(...) + '\n' to OUT (default /dev/null), 2000 lines per write. Prints one JSON line
// with the node count, the bytes written and the seconds of the parse and of the export, separately.
// The toolkit comes from $HEAPTUI_TOOLKIT_DIR/node_modules (default tests/.work/npm).
import { createReadStream, createWriteStream, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const dir = process.env.HEAPTUI_TOOLKIT_DIR || path.resolve(HERE, '..', '.work', 'npm')
const pkgDir = path.resolve(dir, 'node_modules', 'heap-snapshot-toolkit')
const pkg = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'))
const { parse } = await import(pathToFileURL(path.join(pkgDir, pkg.main || 'index.js')).href)
const now = () => Number(process.hrtime.bigint()) / 1e9

const file = process.argv[2]
const outPath = process.argv[3] || '/dev/null'
const t0 = now()
const snapshot = await parse(createReadStream(file, 'utf-8'))
const t1 = now()

const out = createWriteStream(outPath)
const write = (text) => new Promise((resolve, reject) => {
  if (out.write(text)) resolve()
  else out.once('drain', resolve).once('error', reject)
})
const { nodeCount, nodeFieldCount, nodes, nodeIdOffset, retainedSizes, nodeDistances, dominatorsTree } = snapshot
const node = snapshot.createNode(0)
let lines = []
let bytes = 0
for (let ordinal = 0; ordinal < nodeCount; ordinal++) {
  node.nodeIndex = ordinal * nodeFieldCount
  lines.push(JSON.stringify({
    id: node.id(),
    type: node.type(),
    name: node.name(),
    class: node.className(),
    self_size: node.selfSize(),
    retained_size: retainedSizes[ordinal],
    distance: nodeDistances[ordinal],
    dominator: nodes.getValue(dominatorsTree[ordinal] * nodeFieldCount + nodeIdOffset)
  }))
  if (lines.length === 2000) {
    const text = lines.join('\n') + '\n'
    bytes += Buffer.byteLength(text)
    await write(text)
    lines = []
  }
}
if (lines.length) {
  const text = lines.join('\n') + '\n'
  bytes += Buffer.byteLength(text)
  await write(text)
}
await new Promise((resolve) => out.end(resolve))
const t2 = now()
process.stdout.write(JSON.stringify({ nodes: nodeCount, bytes, parse_s: +(t1 - t0).toFixed(3), export_s: +(t2 - t1).toFixed(3) }) + '\n')
process.exit(0)
