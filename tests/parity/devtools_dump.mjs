// Reference dump of a .heapsnapshot as Chrome DevTools computes it.
//
// Usage: HEAPTUI_TOOLKIT_DIR=<dir> node devtools_dump.mjs FILE > out.json
//
// <dir>/node_modules/heap-snapshot-toolkit must hold heap-snapshot-toolkit@1.1.3,
// which bundles DevTools' own heap snapshot worker code. This script parses FILE
// with it and prints ONE JSON document on stdout:
//
//   {
//     "toolkit":    {"name": "heap-snapshot-toolkit", "version": "1.1.3"},
//     "statistics": getStatistics() as DevTools returns it,
//     "summary":    [{"key", "name", "count", "distance", "self_size", "retained_size"}, ...]
//                   (aggregatesWithFilter(new NodeFilter()), i.e. "All objects",
//                    in DevTools' map order),
//     "nodes":      [{"id", "type", "name", "class", "self_size", "retained_size",
//                     "distance", "dominator"}, ...]   one per node, in ordinal order
//   }
//
// "nodes" is written last and streamed in chunks so big snapshots do not need
// one giant string.
import { createReadStream, readFileSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const EXPECTED_VERSION = '1.1.3'

function fail (message) {
  process.stderr.write(`devtools_dump: ${message}\n`)
  process.exit(2)
}

async function loadToolkit () {
  const dir = process.env.HEAPTUI_TOOLKIT_DIR
  if (!dir) {
    fail('HEAPTUI_TOOLKIT_DIR is not set')
  }
  const pkgDir = path.resolve(dir, 'node_modules', 'heap-snapshot-toolkit')
  let pkg
  try {
    pkg = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'))
  } catch (e) {
    fail(`cannot read ${pkgDir}/package.json: ${e.message}`)
  }
  if (pkg.version !== EXPECTED_VERSION) {
    fail(`expected heap-snapshot-toolkit@${EXPECTED_VERSION}, found ${pkg.version} in ${pkgDir}`)
  }
  const entry = path.join(pkgDir, pkg.main || 'index.js')
  const mod = await import(pathToFileURL(entry).href)
  return { mod, version: pkg.version }
}

// stdout writes with back-pressure; resolves once the chunk has been handed to the OS.
function write (text) {
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (err) => (err ? reject(err) : resolve()))
  })
}

async function main () {
  const file = process.argv[2]
  if (!file) {
    fail('usage: node devtools_dump.mjs FILE')
  }
  const { mod, version } = await loadToolkit()
  const { parse, DevToolsAPI } = mod

  // 'utf-8' matters: the loader concatenates chunks as strings, so raw Buffers
  // would be decoded chunk by chunk and could split multi-byte characters.
  const snapshot = await parse(createReadStream(file, 'utf-8'))

  // Summary ("Constructor" table) for "All objects".
  const aggregates = snapshot.aggregatesWithFilter(new DevToolsAPI.HeapSnapshotModel.NodeFilter())
  const summary = []
  for (const key of Object.keys(aggregates)) {
    const a = aggregates[key]
    summary.push({
      key,
      name: a.name,
      count: a.count,
      distance: a.distance,
      self_size: a.self,
      retained_size: a.maxRet
    })
  }

  const statistics = snapshot.getStatistics()

  await write(
    '{"toolkit":' + JSON.stringify({ name: 'heap-snapshot-toolkit', version }) +
    ',\n"statistics":' + JSON.stringify(statistics) +
    ',\n"summary":[' + summary.map((row) => JSON.stringify(row)).join(',\n') + ']' +
    ',\n"nodes":['
  )

  const {
    nodeCount, nodeFieldCount, nodes, nodeIdOffset,
    retainedSizes, nodeDistances, dominatorsTree
  } = snapshot
  const node = snapshot.createNode(0)
  const CHUNK = 2000
  let parts = []
  let sep = '\n'
  const flush = async () => {
    await write(sep + parts.join(',\n'))
    sep = ',\n'
    parts = []
  }
  for (let ordinal = 0; ordinal < nodeCount; ordinal++) {
    node.nodeIndex = ordinal * nodeFieldCount
    const dominatorIndex = dominatorsTree[ordinal] * nodeFieldCount
    parts.push(JSON.stringify({
      id: node.id(),
      type: node.type(),
      name: node.name(), // DevTools' display name (cons strings rebuilt, `{a, …, z}` previews)
      class: node.className(),
      self_size: node.selfSize(), // after calculateShallowSizes()
      retained_size: retainedSizes[ordinal],
      distance: nodeDistances[ordinal],
      dominator: nodes.getValue(dominatorIndex + nodeIdOffset)
    }))
    if (parts.length === CHUNK) {
      await flush()
    }
  }
  if (parts.length) {
    await flush()
  }
  await write('\n]}\n')
}

main().then(
  // parse() closes its MessageChannel, but exit explicitly anyway so a stray
  // handle can never keep the process alive; all output has been flushed.
  () => process.exit(0),
  (err) => {
    process.stderr.write(`devtools_dump: ${err && err.stack ? err.stack : err}\n`)
    process.exit(1)
  }
)
