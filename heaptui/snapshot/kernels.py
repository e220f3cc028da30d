"""Compiled passes over the node and edge arrays, one per fact, as DevTools' HeapSnapshot.ts does them.

Every function here is a plain loop over numpy arrays (nogil, so a UI can stay live while one runs in a
thread). Nodes are ordinals; edges are edge ordinals (DevTools' edge index / edge field count). Where
DevTools' result depends on visiting order (DFS order in Lengauer-Tarjan, BFS queue order in distances,
the fill order of the retainer and dominated-children lists), these loops keep that order exactly.
"""
import numpy as np
from .jit import kernel

NO_DISTANCE = -5
NO_EDGE = 0xFFFFFFFF
BASE_SYSTEM_DISTANCE = 100000000
BASE_UNREACHABLE_DISTANCE = 2 * BASE_SYSTEM_DISTANCE  # the Retainers view's unreachable and ignored
UNVISITED = 0xFFFFFFFF
MULTIPLE_OWNERS = 0xFFFFFFFE

FLAG_DETACHED = 2
FLAG_QUERYABLE = 1
FLAG_PAGE = 4


@kernel("(uint32[::1], uint32[::1], int64)")
def build_retainers(first_edge, edge_to, node_count):
    """Reverse index: for node t, retainer slots ret_first[t]..ret_first[t+1] hold edge ordinals.

    Slots are filled from the end backwards while sources are scanned in order, as DevTools does, so
    within one target the retainers come in reverse (source, edge) order.
    """
    edge_count = edge_to.shape[0]
    ret_first = np.zeros(node_count + 1, dtype=np.uint32)
    for e in range(edge_count):
        ret_first[edge_to[e]] += 1
    fill = np.empty(node_count, dtype=np.uint32)
    start = 0
    for i in range(node_count):
        c = ret_first[i]
        ret_first[i] = start
        start += c
        fill[i] = start
    ret_first[node_count] = start
    ret_edge = np.empty(edge_count, dtype=np.uint32)
    for src in range(node_count):
        for e in range(first_edge[src], first_edge[src + 1]):
            t = edge_to[e]
            fill[t] -= 1
            ret_edge[fill[t]] = e
    return ret_first, ret_edge


@kernel("(uint8[::1], uint8[::1], uint32[::1], uint32[::1], uint8[::1], int64, int64, int64)")
def propagate_dom_state(detachedness, node_type, first_edge, edge_to, edge_type,
                        native_type, hidden_etype, weak_etype):
    """DevTools' propagateDOMState: returns (new detachedness, renamed mask) for native nodes."""
    n = node_type.shape[0]
    state = detachedness.copy()
    renamed = np.zeros(n, dtype=np.uint8)
    visited = np.zeros(n, dtype=np.uint8)
    attached = np.empty(n, dtype=np.uint32)
    detached = np.empty(n, dtype=np.uint32)
    na = 0
    nd = 0
    for v in range(n):
        s = detachedness[v]
        if s == 0 or visited[v]:
            continue
        visited[v] = 1
        if node_type[v] != native_type:
            continue
        state[v] = s
        if s == 1:
            attached[na] = v
            na += 1
        elif s == 2:
            renamed[v] = 1
            detached[nd] = v
            nd += 1
    while na > 0:
        na -= 1
        v = attached[na]
        for e in range(first_edge[v], first_edge[v + 1]):
            t = edge_type[e]
            if t == hidden_etype or t == weak_etype:
                continue
            c = edge_to[e]
            if visited[c]:
                continue
            visited[c] = 1
            if node_type[c] != native_type:
                continue
            state[c] = 1
            attached[na] = c
            na += 1
    while nd > 0:
        nd -= 1
        v = detached[nd]
        if state[v] == 1:
            continue
        for e in range(first_edge[v], first_edge[v + 1]):
            t = edge_type[e]
            if t == hidden_etype or t == weak_etype:
                continue
            c = edge_to[e]
            if visited[c]:
                continue
            visited[c] = 1
            if node_type[c] != native_type:
                continue
            state[c] = 2
            renamed[c] = 1
            detached[nd] = c
            nd += 1
    return state, renamed


@kernel("(int64, uint32[::1], uint32[::1], uint8[::1], bool[::1], int64, int64, int64)")
def mark_page_owned(root, first_edge, edge_to, edge_type, is_dom_trees_root,
                    shortcut_etype, element_etype, weak_etype):
    """DevTools' markPageOwnedNodes: global objects (root shortcuts) and DOM tree roots, and all they reach."""
    n = first_edge.shape[0] - 1
    page = np.zeros(n, dtype=np.uint8)
    stack = np.empty(n + first_edge[root + 1] - first_edge[root], dtype=np.uint32)
    sp = 0
    for e in range(first_edge[root], first_edge[root + 1]):
        t = edge_type[e]
        c = edge_to[e]
        if t == element_etype:
            if not is_dom_trees_root[c]:
                continue
        elif t != shortcut_etype:
            continue
        stack[sp] = c
        sp += 1
        page[c] = 1
    while sp > 0:
        sp -= 1
        v = stack[sp]
        for e in range(first_edge[v], first_edge[v + 1]):
            c = edge_to[e]
            if page[c]:
                continue
            if edge_type[e] == weak_etype:
                continue
            stack[sp] = c
            sp += 1
            page[c] = 1
    return page


@kernel("(int64, uint32[::1], uint32[::1], uint8[::1], uint8[::1], int64, int64, int64, int64)")
def mark_queryable(root, first_edge, edge_to, edge_type, node_type, synthetic_type,
                   hidden_etype, internal_etype, weak_etype):
    """DevTools' markQueriableHeapObjects (the 'user object reachable from window' flag)."""
    n = first_edge.shape[0] - 1
    flag = np.zeros(n, dtype=np.uint8)
    stack = np.empty(1 << 16, dtype=np.uint32)
    sp = 0
    for e in range(first_edge[root], first_edge[root + 1]):
        c = edge_to[e]
        if node_type[c] != synthetic_type:
            if sp >= stack.shape[0]:
                stack = _grow(stack)
            stack[sp] = c
            sp += 1
    while sp > 0:
        sp -= 1
        v = stack[sp]
        if flag[v]:
            continue
        flag[v] = 1
        for e in range(first_edge[v], first_edge[v + 1]):
            c = edge_to[e]
            if flag[c]:
                continue
            t = edge_type[e]
            if t == hidden_etype or t == internal_etype or t == weak_etype:
                continue
            if sp >= stack.shape[0]:
                stack = _grow(stack)
            stack[sp] = c
            sp += 1
    return flag


@kernel("(int64, uint32[::1], uint32[::1], uint8[::1], uint32[::1], uint32[::1], uint8[::1],"
        " int64[::1], int64, int64, int64, boolean)")
def essential_edges(root, first_edge, edge_to, edge_type, edge_name, node_id, page,
                    wm_table_id, internal_etype, weak_etype, shortcut_etype, use_page):
    """Edges that may retain (DevTools' computeIsEssentialEdge), one byte per edge."""
    n = first_edge.shape[0] - 1
    out = np.zeros(edge_to.shape[0], dtype=np.uint8)
    for v in range(n):
        for e in range(first_edge[v], first_edge[v + 1]):
            t = edge_type[e]
            if t == internal_etype:
                tid = wm_table_id[edge_name[e]]
                if tid >= 0 and node_id[v] == tid:
                    continue
            if t == weak_etype:
                continue
            c = edge_to[e]
            if c == v:
                continue
            if v != root:
                if t == shortcut_etype:
                    continue
                if use_page and page[c] and not page[v]:
                    continue
            out[e] = 1
    return out


@kernel("(uint32[::1], bool[::1], int64, uint8[::1], int64, uint32[::1], uint32[::1], uint8[::1],"
        " int64)")
def redistribute_shallow_sizes(self_size, ownable, root, node_type, synthetic_type,
                               first_edge, edge_to, edge_type, weak_etype):
    """DevTools' calculateShallowSizes: fold single-owner internal stores into their owner's size.

    Changes self_size in place and returns it.
    """
    n = self_size.shape[0]
    owners = np.empty(n, dtype=np.uint32)
    work = np.empty(2 * n + 1, dtype=np.uint32)
    sp = 0
    for i in range(n):
        if ownable[i]:
            owners[i] = UNVISITED
        else:
            owners[i] = i
            work[sp] = i
            sp += 1
    while sp > 0:
        sp -= 1
        v = work[sp]
        owner = owners[v]
        for e in range(first_edge[v], first_edge[v + 1]):
            if edge_type[e] == weak_etype:
                continue
            t = edge_to[e]
            o = owners[t]
            if o == UNVISITED:
                owners[t] = owner
                work[sp] = t
                sp += 1
            elif o == t or o == owner or o == MULTIPLE_OWNERS:
                pass
            else:
                owners[t] = MULTIPLE_OWNERS
                work[sp] = t
                sp += 1
    out = self_size
    for i in range(n):
        o = owners[i]
        if o == UNVISITED or o == MULTIPLE_OWNERS or o == i:
            continue
        if node_type[o] == synthetic_type or o == root:
            continue
        size = out[i]
        out[i] = 0
        out[o] = out[o] + size
    return out


UNLINKED = np.uint32(0x80000000)
PARENT_MASK = np.uint32(0x7FFFFFFF)


@kernel()
def _lt_dfs(start, anc, semi, vertex, label, next_edge, first_edge, edge_to, essential, n):
    """Iterative DFS numbering over essential edges, in file order (DevTools' dfs()).

    anc[w] holds w's DFS parent with the UNLINKED bit set until LT links w into its forest.
    """
    ro = start - 1
    next_edge[ro] = first_edge[ro]
    v = start
    while v != 0:
        if semi[v] == 0:
            n += 1
            semi[v] = n
            vertex[n] = v
            label[v] = v
        v_next = np.int64(anc[v] & PARENT_MASK)
        vo = v - 1
        end = first_edge[vo + 1]
        while next_edge[vo] < end:
            e = next_edge[vo]
            if essential[e]:
                w = edge_to[e] + 1
                if semi[w] == 0:
                    anc[w] = np.uint32(v) | UNLINKED
                    next_edge[w - 1] = first_edge[w - 1]
                    v_next = w
                    break
            next_edge[vo] = e + 1
        v = v_next
    return n


@kernel("(uint32[::1], uint32[::1], uint8[::1])")
def essential_predecessors(first_edge, edge_to, essential):
    """For each node, the sources of its essential incoming edges (CSR), for Lengauer-Tarjan."""
    n = first_edge.shape[0] - 1
    pred_first = np.zeros(n + 1, dtype=np.uint32)
    for e in range(edge_to.shape[0]):
        if essential[e]:
            pred_first[edge_to[e] + 1] += 1
    for i in range(n):
        pred_first[i + 1] += pred_first[i]
    fill = pred_first[:n].copy()
    pred = np.empty(pred_first[n], dtype=np.uint32)
    for v in range(n):
        for e in range(first_edge[v], first_edge[v + 1]):
            if essential[e]:
                t = edge_to[e]
                pred[fill[t]] = v
                fill[t] += 1
    return pred_first, pred


@kernel("(int64, uint32[::1], uint32[::1], uint8[::1], uint32[::1])")
def dfs_numbering(root, first_edge, edge_to, essential, pred_first):
    """LT's first step as DevTools runs it: DFS over essential edges from the root, then from nodes
    with only non-essential retainers, then every node still unnumbered, each hung under the root.

    Returns (anc: DFS parents marked UNLINKED, semi: DFS numbers, vertex: number -> vertex, label, n,
    scratch: an array of the same size for dominators() to reuse).
    """
    nc = first_edge.shape[0] - 1
    size = nc + 1
    anc = np.zeros(size, dtype=np.uint32)
    vertex = np.zeros(size, dtype=np.uint32)
    label = np.zeros(size, dtype=np.uint32)
    semi = np.zeros(size, dtype=np.uint32)
    # Scratch: the DFS edge cursors, later reused as the buckets' next links.
    scratch = np.zeros(size, dtype=np.uint32)
    r = root + 1
    anc[r] = UNLINKED
    n = _lt_dfs(r, anc, semi, vertex, label, scratch, first_edge, edge_to, essential, 0)
    if n < nc:
        for v in range(1, nc + 1):
            if semi[v] == 0 and pred_first[v] == pred_first[v - 1]:
                # Only weak retainers: a DFS root of its own, hung under the root.
                anc[v] = np.uint32(r) | UNLINKED
                n = _lt_dfs(v, anc, semi, vertex, label, scratch, first_edge, edge_to, essential, n)
    if n < nc:
        for v in range(1, nc + 1):
            if semi[v] == 0:
                anc[v] = np.uint32(r) | UNLINKED
                n += 1
                semi[v] = n
                vertex[n] = v
                label[v] = v
    return anc, semi, vertex, label, n, scratch


@kernel("(int64, uint32[::1], uint32[::1], uint32[::1], uint32[::1], int64, uint32[::1], uint32[::1],"
        " uint32[::1])")
def dominators(root, anc, semi, vertex, label, n, scratch, pred_first, pred):
    """Lengauer-Tarjan's main loop (simple eval/link, as DevTools) after dfs_numbering.

    Returns (immediate dominator ordinal per node, ordinals in DFS order).
    """
    nc = pred_first.shape[0] - 1
    size = nc + 1
    r = root + 1
    dom = np.zeros(size, dtype=np.uint32)
    # Buckets as singly linked lists; every vertex sits in at most one bucket at a time.
    bucket_head = np.zeros(size, dtype=np.uint32)
    bucket_next = scratch  # the DFS's edge cursors, no longer needed
    bucket_next[:] = 0
    stack = np.empty(1024, dtype=np.uint32)
    for i in range(n, 1, -1):
        w = vertex[i]
        wo = w - 1
        lo = pred_first[wo]
        hi = pred_first[wo + 1]
        if lo == hi:
            semi[w] = semi[r]
        for k in range(lo, hi):
            x = pred[k] + 1
            if anc[x] & UNLINKED:
                u = x
            else:
                # eval(x): iterative path compression, inlined because this is the hot loop
                sp = 0
                y = x
                while (anc[anc[y]] & UNLINKED) == 0:
                    sp += 1
                    if sp >= stack.shape[0]:
                        stack = _grow(stack)
                    stack[sp] = y
                    y = anc[y]
                while sp > 0:
                    z = stack[sp]
                    sp -= 1
                    if semi[label[anc[z]]] < semi[label[z]]:
                        label[z] = label[anc[z]]
                    anc[z] = anc[anc[z]]
                u = label[x]
            if semi[u] < semi[w]:
                semi[w] = semi[u]
        b = vertex[semi[w]]
        bucket_next[w] = bucket_head[b]
        bucket_head[b] = w
        p = np.int64(anc[w] & PARENT_MASK)
        anc[w] = p  # link(parent, w)
        v = bucket_head[p]
        while v != 0:
            x = v
            if anc[x] & UNLINKED:
                u = x
            else:
                # eval(x): iterative path compression, inlined because this is the hot loop
                sp = 0
                y = x
                while (anc[anc[y]] & UNLINKED) == 0:
                    sp += 1
                    if sp >= stack.shape[0]:
                        stack = _grow(stack)
                    stack[sp] = y
                    y = anc[y]
                while sp > 0:
                    z = stack[sp]
                    sp -= 1
                    if semi[label[anc[z]]] < semi[label[z]]:
                        label[z] = label[anc[z]]
                    anc[z] = anc[anc[z]]
                u = label[x]
            dom[v] = u if semi[u] < semi[v] else p
            v = bucket_next[v]
        bucket_head[p] = 0
    dom[0] = r
    dom[r] = r
    for i in range(2, n + 1):
        w = vertex[i]
        if dom[w] != vertex[semi[w]]:
            dom[w] = dom[dom[w]]
    # In place: vertex numbers become ordinals (dom[o] = idom of ordinal o; the last slot is spare).
    for o in range(nc):
        dom[o] = dom[o + 1] - 1
    for i in range(n):
        vertex[i] = vertex[i + 1] - 1
    return dom[:nc], vertex[:n]


@kernel("(uint32[::1], uint32[::1], uint32[::1])")
def retained_sizes(idom, order, self_size):
    """Each node's self size plus everything it dominates, summed leaves-first along the DFS order."""
    retained = np.empty(idom.shape[0], dtype=np.int64)
    for o in range(idom.shape[0]):
        retained[o] = self_size[o]
    for i in range(order.shape[0] - 1, 0, -1):
        o = order[i]
        retained[idom[o]] += retained[o]
    return retained


@kernel()
def _grow(stack):
    bigger = np.empty(2 * stack.shape[0], dtype=np.uint32)
    bigger[:stack.shape[0]] = stack
    return bigger


@kernel("(uint8[::1], uint64[::1], int64[::1], ro(uint8[::1]), boolean)")
def strings_containing(blob, offsets, ids, pattern, digit_first):
    """Marks which of the strings `ids` contain `pattern` (and, optionally, start with a digit)."""
    out = np.zeros(ids.shape[0], dtype=np.uint8)
    m = pattern.shape[0]
    for k in range(ids.shape[0]):
        i = ids[k]
        a = offsets[i]
        b = offsets[i + 1]
        if digit_first and (b == a or blob[a] < 48 or blob[a] > 57):
            continue
        for p in range(a, b - m + 1):
            found = True
            for j in range(m):
                if blob[p + j] != pattern[j]:
                    found = False
                    break
            if found:
                out[k] = 1
                break
    return out


@kernel()
def _bfs(queue, qlen, dist, via, first_edge, edge_to, edge_type, edge_name, node_type, node_name,
         weak_etype, internal_etype, element_etype, hidden_etype, hidden_type, array_type,
         native_context_name, sloppy_map_name, map_descriptors_name, md_name_int, wm_suffix, pending, ignored):
    head = 0
    n = dist.shape[0]
    has_ignored = ignored.shape[0] == n
    while head < qlen:
        v = queue[head]
        head += 1
        d = dist[v] + 1
        vt = node_type[v]
        is_nc = vt == hidden_type and node_name[v] == native_context_name
        is_md = vt == array_type and node_name[v] == map_descriptors_name
        for e in range(first_edge[v], first_edge[v + 1]):
            t = edge_type[e]
            if t == weak_etype:
                continue
            c = edge_to[e]
            if dist[c] != NO_DISTANCE:
                continue
            if has_ignored and ignored[c]:  # "Ignore this retainer": checked before the other filters
                continue
            numeric = t == element_etype or t == hidden_etype
            if is_nc and not numeric and edge_name[e] == sloppy_map_name:
                continue
            if is_md:
                if numeric:
                    idx = np.int64(edge_name[e])
                else:
                    idx = md_name_int[edge_name[e]]
                    if idx == -1:  # parseInt gave NaN: the comparison below is false, so follow
                        dist[c] = d
                        via[c] = e
                        queue[qlen] = c
                        qlen += 1
                        continue
                if not (idx < 2 or idx % 3 != 1):
                    continue
            elif t == internal_etype:
                s = wm_suffix[edge_name[e]]
                if s >= 0:
                    if pending[s]:
                        pending[s] = 0
                    else:
                        pending[s] = 1
                        continue
            dist[c] = d
            via[c] = e
            queue[qlen] = c
            qlen += 1
    return qlen


@kernel("(int64, uint32[::1], uint32[::1], uint8[::1], uint32[::1], uint8[::1], uint32[::1],"
        " int64, int64, int64, int64, int64, int64, int64, int64, int64, int64, int64, int64[::1],"
        " int32[::1], int64, uint8[::1])")
def distances(root, first_edge, edge_to, edge_type, edge_name, node_type, node_name, synthetic_type,
              dom_trees_name, weak_etype, internal_etype, element_etype, hidden_etype, hidden_type, array_type,
              native_context_name, sloppy_map_name, map_descriptors_name, md_name_int, wm_suffix,
              suffix_count, ignored):
    """DevTools' calculateDistances: BFS from user roots, then from the root for what is left.
    `ignored` (one flag per node, or a 1-element array for none) are nodes the search does not
    enter: the Retainers view's "Ignore this retainer" (user roots still get distance 1, as there).

    Returns (distance per node, the edge each node was reached by: a shortest retaining path, one
    pointer per node; NO_EDGE for the root and unreachable nodes).
    """
    n = first_edge.shape[0] - 1
    dist = np.full(n, NO_DISTANCE, dtype=np.int32)
    via = np.full(n, NO_EDGE, dtype=np.uint32)
    root_edges = first_edge[root + 1] - first_edge[root]
    queue = np.empty(n + root_edges + 1, dtype=np.uint32)
    pending = np.zeros(max(suffix_count, 1), dtype=np.uint8)
    qlen = 0
    for e in range(first_edge[root], first_edge[root + 1]):
        c = edge_to[e]
        # A user root: a child of the root that is not synthetic, or '(Document DOM trees)'.
        if node_type[c] != synthetic_type or node_name[c] == dom_trees_name:
            dist[c] = 1
            via[c] = e
            queue[qlen] = c
            qlen += 1
    found = qlen
    _bfs(queue, qlen, dist, via, first_edge, edge_to, edge_type, edge_name, node_type, node_name,
         weak_etype, internal_etype, element_etype, hidden_etype, hidden_type, array_type,
         native_context_name, sloppy_map_name, map_descriptors_name, md_name_int, wm_suffix, pending, ignored)
    dist[root] = BASE_SYSTEM_DISTANCE if found > 0 else 0
    queue[0] = root
    _bfs(queue, 1, dist, via, first_edge, edge_to, edge_type, edge_name, node_type, node_name,
         weak_etype, internal_etype, element_etype, hidden_etype, hidden_type, array_type,
         native_context_name, sloppy_map_name, map_descriptors_name, md_name_int, wm_suffix, pending, ignored)
    return dist, via


@kernel("(int32[::1], uint32[::1], uint32[::1], uint8[::1], uint32[::1], int64, int32[::1],"
        " uint32[::1], uint32[::1])")
def ephemeron_edges_left_alone(dist, first_edge, edge_to, edge_type, edge_name, internal_etype, wm_suffix,
                               ret_first, ret_edge):
    """The ephemeron edges the Retainers view marks ignored once some nodes are ignored: a WeakMap
    value needs both its map and its key, so when one of the two is unreachable in `dist`, every
    edge of that pair into the value is ignored. Sorted edge indexes."""
    n = dist.shape[0]
    count = 0
    for v in range(n):
        if dist[v] != NO_DISTANCE:
            continue
        for e in range(first_edge[v], first_edge[v + 1]):
            if edge_type[e] == internal_etype and wm_suffix[edge_name[e]] >= 0:
                count += 1
    targets = np.empty(count, dtype=np.uint32)
    pairs = np.empty(count, dtype=np.int32)
    count = 0
    for v in range(n):
        if dist[v] != NO_DISTANCE:
            continue
        for e in range(first_edge[v], first_edge[v + 1]):
            if edge_type[e] == internal_etype and wm_suffix[edge_name[e]] >= 0:
                targets[count] = edge_to[e]
                pairs[count] = wm_suffix[edge_name[e]]
                count += 1
    found = np.empty(max(count * 2, 1), dtype=np.uint32)
    m = 0
    for i in range(count):
        t = targets[i]
        for slot in range(ret_first[t], ret_first[t + 1]):
            e = ret_edge[slot]
            if edge_type[e] == internal_etype and wm_suffix[edge_name[e]] == pairs[i]:
                if m == found.shape[0]:
                    bigger = np.empty(m * 2, dtype=np.uint32)
                    bigger[:m] = found[:m]
                    found = bigger
                found[m] = e
                m += 1
    return found[:m]


@kernel("(uint32[::1], int64)")
def dominated_children(idom, root):
    """Children lists of the dominator tree; each list in decreasing ordinal order, as DevTools has it.

    Like DevTools, the first slot of each list counts down while the list fills from its end, so no
    separate fill array is needed.
    """
    n = idom.shape[0]
    first = np.zeros(n + 1, dtype=np.uint32)
    for v in range(n):
        if v != root:
            first[idom[v]] += 1
    children = np.empty(max(n - 1, 1), dtype=np.uint32)
    start = 0
    for i in range(n):
        c = first[i]
        first[i] = start
        if c:
            children[start] = c
        start += c
    first[n] = start
    for v in range(n):
        if v == root:
            continue
        base = first[idom[v]]
        children[base] -= 1
        children[base + children[base]] = v
    return first, children


@kernel("(int32[::1], int64, uint32[::1])", "(int32[::1], int64, int64[::1])")
def members_by_class(class_id, class_count, self_size):
    """Instances (self size > 0) grouped by class, each group in ordinal order."""
    first = np.zeros(class_count + 1, dtype=np.int64)
    for v in range(class_id.shape[0]):
        if self_size[v] != 0:
            first[class_id[v] + 1] += 1
    for c in range(class_count):
        first[c + 1] += first[c]
    fill = first[:-1].copy()
    members = np.empty(first[class_count], dtype=np.uint32)
    for v in range(class_id.shape[0]):
        if self_size[v] != 0:
            c = class_id[v]
            members[fill[c]] = v
            fill[c] += 1
    return first, members


@kernel("(uint32[::1],)")
def id_order(node_id):
    """Ordinals sorted by object id: a radix sort, two passes of 16 bits (ids are unique), linear in
    the node count where a comparison sort of millions of ids takes seconds."""
    n = node_id.shape[0]
    counts = np.zeros(65537, dtype=np.int64)
    for v in range(n):
        counts[(node_id[v] & 0xFFFF) + 1] += 1
    for d in range(65536):
        counts[d + 1] += counts[d]
    low = np.empty(n, dtype=np.uint32)
    for v in range(n):
        d = node_id[v] & 0xFFFF
        low[counts[d]] = v
        counts[d] += 1
    counts[:] = 0
    for v in range(n):
        counts[(node_id[v] >> 16) + 1] += 1
    for d in range(65536):
        counts[d + 1] += counts[d]
    out = np.empty(n, dtype=np.uint32)
    for i in range(n):
        v = low[i]
        d = node_id[v] >> 16
        out[counts[d]] = v
        counts[d] += 1
    return out


@kernel("(int32[::1], int64, uint32[::1], int32[::1], uint8[::1])")
def class_aggregates(class_id, class_count, self_size, dist, mask):
    """count, shallow sum, min distance and first instance of every class, over nodes with self > 0."""
    count = np.zeros(class_count, dtype=np.int64)
    shallow = np.zeros(class_count, dtype=np.int64)
    mind = np.full(class_count, 2147483647, dtype=np.int64)
    first = np.full(class_count, -1, dtype=np.int64)
    all_nodes = mask.shape[0] == 0
    for v in range(class_id.shape[0]):
        s = self_size[v]
        if s == 0 or not (all_nodes or mask[v]):
            continue
        c = class_id[v]
        if first[c] < 0:
            first[c] = v
        count[c] += 1
        shallow[c] += s
        if dist[v] < mind[c]:
            mind[c] = dist[v]
    return count, shallow, mind, first


@kernel("(int64, int32[::1], int64, uint32[::1], int64[::1], uint32[::1], uint32[::1], uint8[::1])")
def class_retained(root, class_id, class_count, self_size, retained, dom_first, dom_children, mask):
    """Sum of retained sizes of each class's topmost instances on every dominator-tree path."""
    total = np.zeros(class_count, dtype=np.int64)
    all_nodes = mask.shape[0] == 0
    is_open = np.zeros(class_count, dtype=np.uint8)
    stack = np.empty(1 << 16, dtype=np.uint32)
    # A class is open at most once at a time, so these need one slot per class.
    marks = np.empty(class_count + 1, dtype=np.int64)  # stack heights at which an opened class closes
    opened = np.empty(class_count + 1, dtype=np.int64)
    sp = 0
    mp = 0
    stack[sp] = root
    sp += 1
    while sp > 0:
        sp -= 1
        v = stack[sp]
        c = class_id[v]
        lo = dom_first[v]
        hi = dom_first[v + 1]
        if not is_open[c] and (all_nodes or mask[v]) and self_size[v] != 0:
            total[c] += retained[v]
            if lo != hi:
                is_open[c] = 1
                marks[mp] = sp
                opened[mp] = c
                mp += 1
        while sp + (hi - lo) >= stack.shape[0]:
            stack = _grow(stack)
        for i in range(lo, hi):
            stack[sp] = dom_children[i]
            sp += 1
        while mp > 0 and marks[mp - 1] == sp:
            mp -= 1
            is_open[opened[mp]] = 0
    return total


@kernel("(uint32[::1], uint32[::1], uint8[::1], uint32[::1], int64, int64, int64[::1], int64)")
def plain_object_labels(objects, first_edge, edge_type, edge_name, property_etype, proto_name, fmt_len,
                        max_len):
    """Per plain object: a hash of the property names its interface label keeps, and how many.

    The label rule is DevTools' inferInterfaceDefinitions: property edges except __proto__, in edge
    order, stopping once a further name would push the label past max_len characters.
    """
    hashes = np.zeros(objects.shape[0], dtype=np.uint64)
    nprops = np.zeros(objects.shape[0], dtype=np.int32)
    for k_obj in range(objects.shape[0]):
        v = objects[k_obj]
        length = 1
        h = np.uint64(14695981039346656037)
        k = 0
        for e in range(first_edge[v], first_edge[v + 1]):
            if edge_type[e] != property_etype:
                continue
            name = edge_name[e]
            if name == proto_name:
                continue
            fl = fmt_len[name]
            if length > 1 and length + fl > max_len:
                break
            if length != 1:
                length += 2
            length += fl
            h = (h ^ np.uint64(name + 1)) * np.uint64(1099511628211)
            k += 1
        hashes[k_obj] = h
        nprops[k_obj] = k
    return hashes, nprops


@kernel()
def _heapsort(a, n):
    """Sorts a[:n] in place. Written out because numba's np.sort costs seconds of compile time."""
    for start in range(n // 2 - 1, -1, -1):
        _sift_down(a, start, n)
    for end in range(n - 1, 0, -1):
        a[0], a[end] = a[end], a[0]
        _sift_down(a, 0, end)


@kernel()
def _sift_down(a, j, n):
    while True:
        c = 2 * j + 1
        if c >= n:
            return
        if c + 1 < n and a[c + 1] > a[c]:
            c += 1
        if a[c] <= a[j]:
            return
        a[j], a[c] = a[c], a[j]
        j = c


@kernel("(uint32[::1], uint32[::1], uint8[::1], uint32[::1], int64, int64[::1])")
def plain_object_property_sets(objects, first_edge, edge_type, edge_name, property_etype, rank):
    """Per plain object: a hash of the sorted ranks of all its property names (its matching key)."""
    hashes = np.zeros(objects.shape[0], dtype=np.uint64)
    buf = np.empty(64, dtype=np.int64)
    for k_obj in range(objects.shape[0]):
        v = objects[k_obj]
        k = 0
        for e in range(first_edge[v], first_edge[v + 1]):
            if edge_type[e] != property_etype:
                continue
            if k == buf.shape[0]:
                bigger = np.empty(2 * k, dtype=np.int64)
                bigger[:k] = buf
                buf = bigger
            buf[k] = rank[edge_name[e]]
            k += 1
        _heapsort(buf, k)
        h = np.uint64(1469598103934665603)
        for i in range(k):
            h = (h ^ np.uint64(buf[i] + 1)) * np.uint64(1099511628211)
        hashes[k_obj] = h ^ np.uint64(k)
    return hashes


@kernel("(uint8[::1], uint32[::1], uint32[::1], uint32[::1], uint32[::1], uint8[::1], uint32[::1],"
        " uint8[::1], int64, int64, int64, int64[::1], int64, int64, int64, int64)")
def statistics(node_type, node_name, self_size, first_edge, edge_to, edge_type, edge_name, one_retainer,
               hidden_type, native_type, code_type, string_types, typed_array_name, array_name,
               internal_etype, elements_name):
    """DevTools' calculateStatistics: system, native, typed arrays, code, strings, JS arrays."""
    system = np.int64(0)
    native = np.int64(0)
    typed = np.int64(0)
    code = np.int64(0)
    strings = np.int64(0)
    arrays = np.int64(0)
    for v in range(node_type.shape[0]):
        t = node_type[v]
        s = np.int64(self_size[v])
        if t == hidden_type:
            system += s
            continue
        if t == native_type:
            native += s
            if node_name[v] == typed_array_name:
                typed += s
        elif t == code_type:
            code += s
        elif t == string_types[0] or t == string_types[1] or t == string_types[2]:
            strings += s
        elif node_name[v] == array_name:
            size = s
            for e in range(first_edge[v], first_edge[v + 1]):
                if edge_type[e] != internal_etype or edge_name[e] != elements_name:
                    continue
                c = edge_to[e]
                if one_retainer[c]:
                    size += self_size[c]
                break
            arrays += size
    return system, native, typed, code, strings, arrays


@kernel()
def map_descriptor_edge_names(node_type, node_name, first_edge, edge_type, edge_name, array_type,
                              map_descriptors_name, element_etype, hidden_etype):
    """String names of edges out of '(map descriptors)' arrays (DevTools parseInt()s them)."""
    count = 0
    for v in range(node_type.shape[0]):
        if node_type[v] == array_type and node_name[v] == map_descriptors_name:
            for e in range(first_edge[v], first_edge[v + 1]):
                if edge_type[e] != element_etype and edge_type[e] != hidden_etype:
                    count += 1
    out = np.empty(count, dtype=np.uint32)
    k = 0
    for v in range(node_type.shape[0]):
        if node_type[v] == array_type and node_name[v] == map_descriptors_name:
            for e in range(first_edge[v], first_edge[v + 1]):
                if edge_type[e] != element_etype and edge_type[e] != hidden_etype:
                    out[k] = edge_name[e]
                    k += 1
    return out


@kernel("(uint32[::1], uint32[::1], uint8[::1], uint32[::1], int64, int64)")
def property_names_of(objects, first_edge, edge_type, edge_name, property_etype, string_count):
    """Which strings name a property edge out of the given nodes (a byte per string)."""
    used = np.zeros(string_count, dtype=np.uint8)
    for k in range(objects.shape[0]):
        v = objects[k]
        for e in range(first_edge[v], first_edge[v + 1]):
            if edge_type[e] == property_etype:
                used[edge_name[e]] = 1
    return used


@kernel("(uint8[::1], uint32[::1], int64[::1], int64[::1])")
def base_class_index(node_type, node_name, type_class, name_class):
    """DevTools' calculateObjectNames: per node, the string id of its class name.

    type_class[t] is the fixed class string for node type t, or -1 for types named by the node
    (object, native), whose name id is mapped through name_class (tag names like '<div id=x>').
    """
    out = np.empty(node_type.shape[0], dtype=np.uint32)
    for v in range(node_type.shape[0]):
        c = type_class[node_type[v]]
        out[v] = name_class[node_name[v]] if c < 0 else c
    return out


@kernel("(uint8[::1], uint32[::1], int64, int64, int64)")
def names_used_by(node_type, node_name, type_a, type_b, string_count):
    used = np.zeros(string_count, dtype=np.uint8)
    for v in range(node_type.shape[0]):
        t = node_type[v]
        if t == type_a or t == type_b:
            used[node_name[v]] = 1
    return used


@kernel("(uint8[::1], uint32[::1], int64, int64)")
def edge_names_of_type(edge_type, edge_name, etype, string_count):
    """Which strings name an edge of type `etype` (a flag per string id)."""
    used = np.zeros(string_count, dtype=np.bool_)
    for e in range(edge_type.shape[0]):
        if edge_type[e] == etype:
            used[edge_name[e]] = True
    return used


@kernel("(uint32[::1], uint8[::1], int64[::1])")
def dense_ids(keys, skip, lut):
    """First-appearance dense ids of keys (lut: key -> id, -1 unseen), for nodes where skip is 0."""
    out = np.full(keys.shape[0], -1, dtype=np.int32)
    count = 0
    for v in range(keys.shape[0]):
        if skip[v]:
            continue
        k = keys[v]
        if lut[k] < 0:
            lut[k] = count
            count += 1
        out[v] = lut[k]
    return out, count


@kernel("(uint8[::1], uint32[::1], uint32[::1], uint32[::1], uint8[::1], uint32[::1], int64[::1],"
        " int64, int64, int64)")
def single_retainer_targets(node_type, node_name, first_edge, edge_to, edge_type, edge_name,
                            excluded_types, array_name, internal_etype, elements_name):
    """For DevTools' JS-arrays statistic: which 'elements' stores (of Array objects) have exactly one
    retainer. Returns a per-node byte: 1 = exactly one retainer (only set for such stores)."""
    n = node_type.shape[0]
    state = np.zeros(n, dtype=np.uint8)  # 0 not wanted, 1 wanted, 2 one retainer, 3 more
    for v in range(n):
        if node_name[v] != array_name:
            continue
        t = node_type[v]
        skip = False
        for k in range(excluded_types.shape[0]):
            if t == excluded_types[k]:
                skip = True
        if skip:
            continue
        for e in range(first_edge[v], first_edge[v + 1]):
            if edge_type[e] == internal_etype and edge_name[e] == elements_name:
                state[edge_to[e]] = 1
                break
    for e in range(edge_to.shape[0]):
        c = edge_to[e]
        s = state[c]
        if s == 1:
            state[c] = 2
        elif s == 2:
            state[c] = 3
    for v in range(n):
        state[v] = 1 if state[v] == 2 else 0
    return state


@kernel("(uint32[::1], uint32[::1], uint32[::1], int64, int64, int64, int64, uint8[::1], int64,"
        " uint32[::1], int64[::1], int32[::1], int64)")
def located_class_ids(loc_nodes, loc_rows, locations, fields, sid_at, line_at, col_at, node_type,
                      object_type, class_index, text_id, class_id, base):
    """Class ids for objects with a constructor location: one per (script, line, column, class name)
    in first-appearance order, numbered from `base`. Returns the first node of each new class.

    The keys go in an open-addressing table of first nodes (a typed Dict of tuples costs seconds of
    compile time); a slot's key is read back through its first node."""
    size = 64
    while size < 2 * loc_nodes.shape[0]:
        size *= 2
    slots = np.full(size, -1, dtype=np.int64)  # position k in loc_nodes of the key's first node
    firsts = np.empty(64, dtype=np.uint32)
    found = 0
    for k in range(loc_nodes.shape[0]):
        v = loc_nodes[k]
        if node_type[v] != object_type:
            continue
        r = np.int64(loc_rows[k]) * fields
        sid, line, col = locations[r + sid_at], locations[r + line_at], locations[r + col_at]
        text = text_id[class_index[v]]
        h = np.uint64(1469598103934665603)
        for part in (np.uint64(sid), np.uint64(line), np.uint64(col), np.uint64(text)):
            h = (h ^ part) * np.uint64(1099511628211)
        i = np.int64(h & np.uint64(size - 1))
        while True:
            other = slots[i]
            if other < 0:
                slots[i] = k
                if found >= firsts.shape[0]:
                    firsts = _grow(firsts)
                firsts[found] = v
                class_id[v] = base + found
                found += 1
                break
            ro = np.int64(loc_rows[other]) * fields
            w = loc_nodes[other]
            if (locations[ro + sid_at] == sid and locations[ro + line_at] == line
                    and locations[ro + col_at] == col and text_id[class_index[w]] == text):
                class_id[v] = class_id[w]
                break
            i = (i + 1) & (size - 1)
    return firsts[:found].copy()


@kernel("(uint32[::1], uint8[::1], int64, int64)")
def located_mask(loc_nodes, node_type, object_type, n):
    out = np.zeros(n, dtype=np.uint8)
    for k in range(loc_nodes.shape[0]):
        v = loc_nodes[k]
        if node_type[v] == object_type:
            out[v] = 1
    return out


@kernel("(int64, uint32[::1], uint32[::1], uint8[::1], int64, uint8[::1])")
def reach_avoiding(root, first_edge, edge_to, edge_type, weak_etype, skip):
    """DevTools' bfs from the root with a named filter: every node reached without weak edges and
    without the edges marked in `skip`; 1 for each (the root included)."""
    n = first_edge.shape[0] - 1
    seen = np.zeros(n, dtype=np.uint8)
    queue = np.empty(n, dtype=np.uint32)
    seen[root] = 1
    queue[0] = root
    qlen = 1
    head = 0
    while head < qlen:
        v = queue[head]
        head += 1
        for e in range(first_edge[v], first_edge[v + 1]):
            if edge_type[e] == weak_etype or skip[e]:
                continue
            c = edge_to[e]
            if seen[c]:
                continue
            seen[c] = 1
            queue[qlen] = c
            qlen += 1
    return seen
