"""The search tree in flat arrays and the Numba kernels that select, expand and back up.

Layout (struct of arrays; ``goagent.search.driver`` owns and grows them):

- ``ni`` int32[NI_FIELDS, capacity], per node: ``FIRST`` (newest child or -1),
  ``SIB`` (next older sibling or -1), ``ESTART``/``NEDGE`` (its edges, -1/0
  until expanded), ``NCHILD`` (children made so far), ``N`` (visits, the
  node's own evaluation included; at the root only the visits below it),
  ``VL`` (virtual losses in flight), ``STATE`` (``NEW``, ``PENDING``: its
  evaluation is in the batch being gathered, ``EXPANDED``, ``TERMINAL``).
- ``nf`` float64[NF_FIELDS, capacity], per node, from the view of the
  player who moved *into* the node (the parent's side to move): sums of
  value ``W``, value squared ``W2``, score lead ``S``, score squared ``S2``;
  ``TV``/``TS``: value and score of a terminal node for its side to move.
- ``edges`` uint32[edge capacity]: one word per legal move of an expanded
  node, ``(prior quantised to 22 bits) << 10 | action``.  A node's edges are
  one block; the edges ``[0, NCHILD)`` have children (statistics live on
  the child node), the rest have none and are sorted by prior, highest
  first (ties: lower action first).  Unvisited edges all share the same
  first-play-urgency value, so PUCT can only ever pick the first of them:
  a selection reads the visited children and one more edge, and children
  are made in edge order.  A child list is newest first, so the child at
  list position j belongs to edge ``NCHILD - 1 - j``.
- ``counts`` int64: ``NCOUNT`` nodes and ``ECOUNT`` edges in use;
  ``limits`` int64: the most nodes and edges the memory budget allows.  A
  full tree makes no nodes and expands no leaves, but keeps evaluating and
  backing up (a visit then ends at a node that cannot grow).

A leaf's position is never stored: ``gather`` plays the path's moves on a
scratch copy of the root board (``goagent.search.leaves``), which gives its
legal moves (superko against the game and the path), terminal status, the
evaluation-cache key and the network planes.  One ``gather`` call collects
a whole batch under virtual loss; one ``finish`` call expands and backs up
every evaluated leaf.  ``compact`` copies the subtree kept by tree reuse to
fresh arrays.  Start reading at ``gather``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from goagent.search import cache as ecache
from goagent.search import leaves

FIRST, SIB, ESTART, NEDGE, NCHILD, N, VL, STATE = range(8)
NI_FIELDS = 8
W, W2, S, S2, TV, TS = range(6)
NF_FIELDS = 6
NODE_BYTES = NI_FIELDS * 4 + NF_FIELDS * 8
EDGE_BYTES = 4

NEW, PENDING, EXPANDED, TERMINAL = 0, 1, 2, 3
NCOUNT, ECOUNT = 0, 1
NLIMIT, ELIMIT = 0, 1

PRIOR_BITS = 22
PRIOR_ONE = 1 << PRIOR_BITS  # a quantised prior q stands for q / PRIOR_ONE
_ACTION_MASK = 1023

MAX_DEPTH = 1024  # plies below the root a path may reach

# cfg float64 slots
C_PUCT, FPU, ROOT_FPU, VLOSS = range(4)


@njit(cache=True, inline="always")
def edge_prior(e):
    return (e >> 10) / PRIOR_ONE


@njit(cache=True, inline="always")
def edge_action(e):
    return e & _ACTION_MASK


@njit(cache=True)
def quantise(p):
    """The 22-bit prior of a probability (floor, at most PRIOR_ONE - 1)."""
    return min(int(math.floor(p * PRIOR_ONE)), PRIOR_ONE - 1)


@njit(cache=True)
def new_node(ni, nf, counts):
    i = counts[NCOUNT]
    counts[NCOUNT] = i + 1
    ni[FIRST, i] = -1
    ni[SIB, i] = -1
    ni[ESTART, i] = -1
    ni[NEDGE, i] = 0
    ni[NCHILD, i] = 0
    ni[N, i] = 0
    ni[VL, i] = 0
    ni[STATE, i] = NEW
    for f in range(NF_FIELDS):
        nf[f, i] = 0.0
    return i


@njit(cache=True)
def expand(ni, edges, counts, limits, node, legal, priors):
    """Give ``node`` one edge per ``legal`` action with its renormalised, quantised
    prior; returns False (nothing changes) when the edge budget is full."""
    k = 0
    total = 0.0
    for a in range(len(legal)):
        if legal[a]:
            k += 1
            total += priors[a]
    start = counts[ECOUNT]
    if k == 0 or start + k > limits[ELIMIT]:
        return False
    keys = np.empty(k, np.int64)
    j = 0
    for a in range(len(legal)):
        if legal[a]:
            p = priors[a] / total if total > 0 else 1.0 / k
            q = quantise(p)
            keys[j] = ((PRIOR_ONE - 1 - q) << 10) | a
            j += 1
    keys.sort()
    for j in range(k):
        q = PRIOR_ONE - 1 - (keys[j] >> 10)
        edges[start + j] = np.uint32((q << 10) | (keys[j] & _ACTION_MASK))
    counts[ECOUNT] = start + k
    ni[ESTART, node] = start
    ni[NEDGE, node] = k
    ni[STATE, node] = EXPANDED
    return True


@njit(cache=True)
def select(ni, nf, edges, node, c_puct, fpu_reduction, virtual_loss, can_grow):
    """PUCT over ``node``'s children and its first unvisited edge: returns the edge
    index (``NCHILD`` for the unvisited one) or -1 when nothing can be chosen.

    The same arithmetic as a loop over every edge in edge order taking the
    first maximum: virtual losses count as lost visits, unvisited children
    start at the parent's mean minus ``fpu_reduction * sqrt(visited prior)``.
    """
    base = ni[ESTART, node]
    k = ni[NCHILD, node]
    total = 0.0
    wsum = 0.0
    visited_prior = 0.0
    c = ni[FIRST, node]
    j = k - 1
    while c >= 0:
        n = ni[N, c] + ni[VL, c]
        total += n
        wsum += nf[W, c] - ni[VL, c] * virtual_loss
        if n > 0:
            visited_prior += edge_prior(edges[base + j])
        c = ni[SIB, c]
        j -= 1
    parent_q = wsum / total if total > 0 else 0.0
    fpu = parent_q - fpu_reduction * math.sqrt(visited_prior)
    sqrt_total = math.sqrt(max(total, 1.0))
    best = -1
    best_score = -1e30
    c = ni[FIRST, node]
    j = k - 1
    while c >= 0:  # newest (highest edge index) first: ">=" keeps the lowest index on ties
        n = ni[N, c] + ni[VL, c]
        p = edge_prior(edges[base + j])
        q = (nf[W, c] - ni[VL, c] * virtual_loss) / n if n > 0 else fpu
        score = q + c_puct * p * sqrt_total / (1.0 + n)
        if score >= best_score:
            best_score = score
            best = j
        c = ni[SIB, c]
        j -= 1
    if can_grow and k < ni[NEDGE, node]:
        p = edge_prior(edges[base + k])
        score = fpu + c_puct * p * sqrt_total
        if best < 0 or score > best_score:
            best = k
    return best


@njit(cache=True, inline="always")
def child_at(ni, node, j):
    """The child node of edge j (which has one)."""
    c = ni[FIRST, node]
    for _ in range(ni[NCHILD, node] - 1 - j):
        c = ni[SIB, c]
    return c


@njit(cache=True)
def backup(ni, nf, path, length, value, score, undo_virtual):
    """Add a leaf's ``value``/``score`` (its side to move's view) along ``path[:length+1]``."""
    v = -value
    s = -score
    for d in range(length, -1, -1):
        x = path[d]
        ni[N, x] += 1
        nf[W, x] += v
        nf[W2, x] += v * v
        nf[S, x] += s
        nf[S2, x] += s * s
        if undo_virtual and d > 0:
            ni[VL, x] -= 1
        v = -v
        s = -s


@njit(cache=True)
def _undo_virtual(ni, path, length):
    for d in range(1, length + 1):
        ni[VL, path[d]] -= 1


@njit(cache=True)
def _restrict(legal, color, depth, rule_color, rule_until, rule_allow, rule_mask, out):
    """``out``: ``legal`` less what the move rules exclude (pass kept if nothing is left)."""
    any_left = False
    for a in range(len(legal)):
        ok = legal[a]
        if ok:
            for r in range(len(rule_color)):
                if rule_color[r] == color and depth < rule_until[r]:
                    if rule_allow[r] != rule_mask[r, a]:
                        ok = False
                        break
        out[a] = ok
        any_left = any_left or ok
    if not any_left:
        out[len(legal) - 1] = True


@njit(cache=True)
def gather(
    ni, nf, edges, counts, limits, cfg, want, max_pending,
    root_b, root_m, root_hist, root_color, root_passes, komi, seen, ko_rule, dead, placed,
    rule_color, rule_until, rule_allow, rule_mask,
    ckeys, cpriors, cvals,
    scratch_b, scratch_m, ring, pathset, restricted,
    paths, lengths, leaf_nodes, leaf_keys, leaf_colors, root_edges, legal_out,
    planes, encode, ladders, arena, boards_out, metas_out, stats,
):  # fmt: skip
    """Descend up to ``want`` times from the root (node 0) under virtual loss.

    Terminal leaves and leaves found in the evaluation cache are expanded and
    backed up at once; the others (at most ``max_pending``) are returned for
    the evaluator: their paths, node, cache key, side to move, root edge and
    legal moves, with their planes in ``planes`` when ``encode`` and their
    scratch boards in ``boards_out``/``metas_out`` when those have rows.
    Stops after ``want`` collisions (a leaf already waiting in this batch),
    as the leaves of one batch must differ.  Returns the number pending;
    ``stats`` gets [completed at once, collisions, cache hits].
    """
    c_puct = cfg[C_PUCT]
    vloss = cfg[VLOSS]
    pending = 0
    collisions = 0
    done = 0
    hits = 0
    path = np.empty(MAX_DEPTH + 1, np.int32)
    moves = np.empty(MAX_DEPTH, np.int32)
    pass_action = legal_out.shape[1] - 1
    while pending < want and pending < max_pending and collisions <= want:
        x = 0
        path[0] = 0
        depth = 0
        root_edge = -1
        while ni[STATE, x] == EXPANDED and depth < MAX_DEPTH:
            can_grow = counts[NCOUNT] < limits[NLIMIT]
            fpu = cfg[ROOT_FPU] if depth == 0 else cfg[FPU]
            j = select(ni, nf, edges, x, c_puct, fpu, vloss, can_grow)
            if j < 0:
                break
            if j == ni[NCHILD, x]:
                c = new_node(ni, nf, counts)
                ni[SIB, c] = ni[FIRST, x]
                ni[FIRST, x] = c
                ni[NCHILD, x] += 1
            else:
                c = child_at(ni, x, j)
            if depth == 0:
                root_edge = j
            moves[depth] = edge_action(edges[ni[ESTART, x] + j])
            ni[VL, c] += 1
            depth += 1
            path[depth] = c
            x = c
        state = ni[STATE, x]
        if state == TERMINAL:
            backup(ni, nf, path, depth, nf[TV, x], nf[TS, x], True)
            want -= 1
            done += 1
            continue
        if state == PENDING:
            _undo_virtual(ni, path, depth)
            collisions += 1
            continue
        # A NEW leaf, or an EXPANDED node that cannot grow (full tree): its position.
        k = pending
        legal = legal_out[k]
        color, passes, key = leaves.replay(
            root_b, root_m, root_hist, root_color, root_passes, seen, ko_rule, moves, depth,
            scratch_b, scratch_m, ring, pathset, legal,
        )  # fmt: skip
        if passes >= 2 and depth > 0:
            if dead[0] < 0:  # the root's dead stones are not judged yet: the driver does it
                _undo_virtual(ni, path, depth)
                dead[0] = -2  # asked for
                break
            placed_here = placed  # the stones the path placed, for territory scoring
            mover = root_color
            for d in range(depth):
                if moves[d] != pass_action:
                    placed_here += 1.0 if mover == 1 else -1.0  # BLACK
                mover = 3 - mover
            value, score = leaves.terminal(scratch_b, scratch_m, color, komi, dead, placed_here)
            ni[STATE, x] = TERMINAL
            nf[TV, x] = value
            nf[TS, x] = score
            backup(ni, nf, path, depth, value, score, True)
            want -= 1
            done += 1
            continue
        slot = ecache.lookup(ckeys, key)
        if slot >= 0:
            if state == NEW:
                _restrict(legal, color, depth, rule_color, rule_until, rule_allow, rule_mask, restricted)
                expand(ni, edges, counts, limits, x, restricted, cpriors[slot])
            backup(ni, nf, path, depth, cvals[slot, 0], cvals[slot, 1], True)
            want -= 1
            done += 1
            hits += 1
            continue
        if state == NEW:
            ni[STATE, x] = PENDING
        for d in range(depth + 1):
            paths[k, d] = path[d]
        lengths[k] = depth
        leaf_nodes[k] = x
        leaf_keys[k] = key
        leaf_colors[k] = color
        root_edges[k] = root_edge
        if encode:
            leaves.planes(root_hist, ring, depth, scratch_m, color, komi, legal, planes[k], ladders, arena)
        if boards_out.shape[0]:
            boards_out[k] = scratch_b
            metas_out[k] = scratch_m
        pending += 1
    stats[0] = done
    stats[1] = collisions
    stats[2] = hits
    return pending


@njit(cache=True)
def finish(
    ni, nf, edges, counts, limits, pending, paths, lengths, leaf_nodes, leaf_keys, leaf_colors,
    root_edges, legal, priors, values, scores, ownership,
    rule_color, rule_until, rule_allow, rule_mask, restricted,
    ckeys, cpriors, cvals, own_sum, own_child, own_count,
):  # fmt: skip
    """Expand every evaluated leaf (when the budget allows), store its evaluation in
    the cache, back it up, and add its ownership (if ``ownership`` has rows) to
    the root's sums and its root child's, in the root player's view."""
    use_own = ownership.shape[0] > 0
    for k in range(pending):
        x = leaf_nodes[k]
        depth = lengths[k]
        if ni[STATE, x] == PENDING:
            ni[STATE, x] = NEW
            _restrict(
                legal[k], leaf_colors[k], depth, rule_color, rule_until, rule_allow, rule_mask, restricted
            )
            expand(ni, edges, counts, limits, x, restricted, priors[k])
        ecache.store(ckeys, cpriors, cvals, leaf_keys[k], priors[k], values[k], scores[k])
        backup(ni, nf, paths[k], depth, values[k], scores[k], True)
        if use_own:
            sign = 1.0 if depth % 2 == 0 else -1.0
            e = root_edges[k]
            for p in range(ownership.shape[1]):
                o = sign * ownership[k, p]
                own_sum[p] += o
                if e >= 0 and e < own_child.shape[0]:
                    own_child[e, p] += o
            own_count[0] += 1
            if e >= 0 and e < own_child.shape[0]:
                own_count[1 + e] += 1


@njit(cache=True)
def compact(ni, nf, edges, root, new_ni, new_nf, new_edges, new_counts):
    """Copy the subtree under ``root`` into the new arrays (root at 0, children in
    the same edge order); the new root's visits become the sum of its children's."""
    new_counts[NCOUNT] = 1
    new_counts[ECOUNT] = 0
    stack = np.empty(4096, np.int64)
    stack[0] = root
    stack[1] = 0
    top = 2
    while top:
        top -= 2
        o = stack[top]
        x = stack[top + 1]
        for f in range(ESTART, NI_FIELDS):  # FIRST and SIB are links: set below and by the parent
            new_ni[f, x] = ni[f, o]
        for f in range(NF_FIELDS):
            new_nf[f, x] = nf[f, o]
        new_ni[FIRST, x] = -1
        new_ni[VL, x] = 0
        if ni[STATE, o] == PENDING:
            new_ni[STATE, x] = NEW
        if ni[ESTART, o] >= 0:
            s = new_counts[ECOUNT]
            k = ni[NEDGE, o]
            for j in range(k):
                new_edges[s + j] = edges[ni[ESTART, o] + j]
            new_ni[ESTART, x] = s
            new_counts[ECOUNT] = s + k
        # children: allocate new indices in list order, keep the links
        c = ni[FIRST, o]
        prev = -1
        while c >= 0:
            y = new_counts[NCOUNT]
            new_counts[NCOUNT] = y + 1
            if prev < 0:
                new_ni[FIRST, x] = y
            else:
                new_ni[SIB, prev] = y
            new_ni[SIB, y] = -1
            if top + 2 > len(stack):
                bigger = np.empty(2 * len(stack), np.int64)
                bigger[:top] = stack[:top]
                stack = bigger
            stack[top] = c
            stack[top + 1] = y
            top += 2
            prev = y
            c = ni[SIB, c]
    total = 0
    c = new_ni[FIRST, 0]
    while c >= 0:
        total += new_ni[N, c]
        c = new_ni[SIB, c]
    new_ni[N, 0] = total
    new_ni[SIB, 0] = -1
