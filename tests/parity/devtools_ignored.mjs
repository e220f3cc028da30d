// DevTools' Retainers view after "Ignore this retainer", through DevTools' own code
// (heap-snapshot-toolkit): argv[2] the snapshot, argv[3] a JSON list of object ids to ignore, argv[4]
// a JSON list of object ids whose retainers to list. Prints one JSON document:
//   distances: the Retainers view's distance of every node, in node order;
//   ignored_edges: the edges (by ordinal) the view marks ignored;
//   retainers: per probe id, its rows as the view sorts them by default (distance, then retainer
//   name), each [edge type, edge name, retainer id, the row's distance].
import { createReadStream } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const dir = process.env.HEAPTUI_TOOLKIT_DIR
const toolkit = await import(pathToFileURL(path.join(dir, 'node_modules', 'heap-snapshot-toolkit', 'index.js')).href)
const snapshot = await toolkit.parse(createReadStream(process.argv[2], 'utf-8'))
const ignore = JSON.parse(process.argv[3])
const probes = JSON.parse(process.argv[4])
const { nodes, nodeFieldCount, nodeIdOffset, nodeCount } = snapshot
const indexOf = new Map()
for (let i = 0; i < nodeCount; i++) indexOf.set(nodes.getValue(i * nodeFieldCount + nodeIdOffset), i * nodeFieldCount)
for (const id of ignore) snapshot.ignoreNodeInRetainersView(indexOf.get(id))
const distances = new Array(nodeCount)
for (let i = 0; i < nodeCount; i++) distances[i] = snapshot.getDistanceForRetainersView(i * nodeFieldCount)
const ignoredEdges = []
const edgeCount = snapshot.containmentEdges.length / snapshot.edgeFieldsCount
for (let e = 0; e < edgeCount; e++) {
  if (snapshot.isEdgeIgnoredInRetainersView(e * snapshot.edgeFieldsCount)) ignoredEdges.push(e)
}
const retainers = {}
for (const id of probes) {
  const provider = snapshot.createRetainingEdgesProvider(indexOf.get(id))
  provider.sortAndRewind({ fieldName1: '!edgeDistance', ascending1: true, fieldName2: 'name', ascending2: true })
  const range = provider.serializeItemsRange(0, 1 << 30)
  retainers[id] = range.items.map((e) => [e.type, String(e.name), e.node.id, e.node.distance])
}
process.stdout.write(JSON.stringify({ distances, ignored_edges: ignoredEdges, retainers }), () => process.exit(0))
