// Reads a gzipped pprof file with an independent decoder, DataDog's pprof-format (the one their Node
// profiler writes profiles with), and prints what it finds as one JSON document:
//   {"sample_types": [[type, unit], ...], "default_sample_type": type, "samples": N,
//    "per_function": [[name, file, start_line, [sum of each value]], ...]}
// A sample belongs to its innermost frame (its first location).
// Usage: HEAPTUI_PPROF_DIR=<prefix with node_modules/pprof-format> node pprof_read.mjs FILE
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { gunzipSync } from 'node:zlib'

const dir = process.env.HEAPTUI_PPROF_DIR
const { Profile } = await import(pathToFileURL(path.join(dir, 'node_modules', 'pprof-format', 'dist', 'esm', 'index.js')).href)
const profile = Profile.decode(gunzipSync(readFileSync(process.argv[2])))
const str = (i) => profile.stringTable.strings[Number(i)]
const functions = new Map(profile.function.map((f) => [Number(f.id), f]))
const locations = new Map(profile.location.map((l) => [Number(l.id), l]))
const sums = new Map()
for (const sample of profile.sample) {
  const f = functions.get(Number(locations.get(Number(sample.locationId[0])).line[0].functionId))
  const key = JSON.stringify([str(f.name), str(f.filename), Number(f.startLine)])
  const acc = sums.get(key) || sample.value.map(() => 0)
  sample.value.forEach((v, i) => { acc[i] += Number(v) })
  sums.set(key, acc)
}
const out = {
  sample_types: profile.sampleType.map((t) => [str(t.type), str(t.unit)]),
  default_sample_type: str(profile.defaultSampleType),
  samples: profile.sample.length,
  per_function: [...sums].map(([k, v]) => [...JSON.parse(k), v])
}
process.stdout.write(JSON.stringify(out), () => process.exit(0))
