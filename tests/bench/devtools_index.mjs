// Benchmark the Chrome DevTools heap snapshot pipeline on one file.
//
//   node --max-old-space-size=MB tests/bench/devtools_index.mjs FILE
//
// Runs DevTools' own worker code, as bundled by heap-snapshot-toolkit@1.1.3:
//   parse(createReadStream(FILE, 'utf-8'))   JSON parse, retainers, dominators,
//                                             retained sizes, distances, flags...
//   snapshot.aggregatesWithFilter(new NodeFilter())   the Summary view ("All objects")
//   snapshot.getStatistics()                           the Statistics pie
// i.e. the equivalent of a full index + summary, then prints ONE short JSON line
// (counts, a few totals and per-phase timings) and exits.
//
// The toolkit is loaded from $HEAPTUI_TOOLKIT_DIR/node_modules/heap-snapshot-toolkit,
// default tests/.work/npm (where the test fixture installs it). Install it with
//   npm install --no-save --no-audit --no-fund --prefix tests/.work/npm heap-snapshot-toolkit@1.1.3
import { createReadStream, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const EXPECTED_VERSION = '1.1.3'
const HERE = path.dirname(fileURLToPath(import.meta.url))
const DEFAULT_TOOLKIT_DIR = path.resolve(HERE, '..', '.work', 'npm')

function die (message, code = 2) {
  process.stderr.write(`devtools_index: ${message}\n`)
  process.exit(code)
}

async function loadToolkit () {
  const dir = process.env.HEAPTUI_TOOLKIT_DIR || DEFAULT_TOOLKIT_DIR
  const pkgDir = path.resolve(dir, 'node_modules', 'heap-snapshot-toolkit')
  let pkg
  try {
    pkg = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'))
  } catch (e) {
    die(`cannot read ${pkgDir}/package.json (${e.code || e.message}); install it with\n` +
      `  npm install --no-save --no-audit --no-fund --prefix ${dir} heap-snapshot-toolkit@${EXPECTED_VERSION}`)
  }
  if (pkg.version !== EXPECTED_VERSION) {
    die(`expected heap-snapshot-toolkit@${EXPECTED_VERSION}, found ${pkg.version} in ${pkgDir}`)
  }
  return import(pathToFileURL(path.join(pkgDir, pkg.main || 'index.js')).href)
}

const now = () => Number(process.hrtime.bigint()) / 1e9

async function main () {
  const file = process.argv[2]
  if (!file || process.argv.length > 3) die('usage: node devtools_index.mjs FILE')
  const bytes = statSync(file).size

  const t0 = now()
  const { parse, DevToolsAPI } = await loadToolkit()
  const t1 = now()

  const snapshot = await parse(createReadStream(file, 'utf-8'))
  const t2 = now()

  const aggregates = snapshot.aggregatesWithFilter(new DevToolsAPI.HeapSnapshotModel.NodeFilter())
  const t3 = now()

  const statistics = snapshot.getStatistics()
  const t4 = now()

  let objects = 0
  let selfSize = 0
  let classes = 0
  for (const key in aggregates) {
    const a = aggregates[key]
    classes++
    objects += a.count
    selfSize += a.self
  }

  const result = {
    file: path.basename(file),
    bytes,
    nodes: snapshot.nodeCount,
    edges: snapshot.containmentEdges.length / snapshot.edgeFieldsCount,
    classes,
    summary_objects: objects,
    summary_self_size: selfSize,
    statistics_total: statistics.total,
    seconds: {
      load_toolkit: +(t1 - t0).toFixed(3),
      parse_and_index: +(t2 - t1).toFixed(3),
      aggregates: +(t3 - t2).toFixed(3),
      statistics: +(t4 - t3).toFixed(3),
      total: +(t4 - t0).toFixed(3)
    },
    max_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024)
  }
  // Write, then exit explicitly: MessagePorts / pending streams must not keep node alive.
  process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0))
}

main().catch((err) => {
  process.stderr.write(`devtools_index: ${err && err.stack ? err.stack : err}\n`)
  process.exit(1)
})
