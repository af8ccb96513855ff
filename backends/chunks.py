"""Cut a legal graph into straight-line chunks of bounded size.

Shader compilers (naga, then the driver's own compiler, e.g. LLVM inside
llvmpipe) take super-linear time on one huge basic block, and a GPU driver
inlines every function call, so helper functions do not bound it.  Cutting
the graph into chunks of at most ``max_nodes`` gates, each its own entry
point dispatched in order, keeps every compile small and the total linear.

A value computed in one chunk and read by a later one travels through a
*slot* of an intermediate buffer.  A slot is reused as soon as its value's
last reader has loaded it, so the buffer holds the widest cut of the graph rather than
every value that ever crosses a boundary.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from ..ir.gates import GATE_EXPRS
from ..ir.graph import Graph, Op
from .target import PlaneLayout


def expr_leaves(expr) -> frozenset[str]:
    """The leaves ("a", "b") a gate expression really reads."""
    if isinstance(expr, str):
        return frozenset({expr}) & {"a", "b"}
    return frozenset().union(*(expr_leaves(x) for x in expr[1:]))


#: Per gate id, which fanins its rendered expression reads (derived, not written out).
GATE_READS: tuple[frozenset[str], ...] = tuple(expr_leaves(e) for e in GATE_EXPRS)


def read_fanins(graph: Graph, node: int) -> tuple[int, ...]:
    """The fanins of a GATE or NOT node that its expression actually reads."""
    op = graph.op[node]
    if op == Op.NOT:
        return (int(graph.a[node]),)
    reads = GATE_READS[int(graph.arg[node])]
    return tuple(int(f[node]) for leaf, f in (("a", graph.a), ("b", graph.b)) if leaf in reads)


@dataclass(frozen=True)
class Chunk:
    """One straight-line piece of the graph.

    ``nodes``: the GATE/NOT nodes it computes, in order; ``inputs``: the
    graph inputs it reads; ``loads``/``spills``: (node, slot) pairs it reads
    from / writes to the intermediate buffer; ``outputs``: (plane, node)
    pairs of the output planes it writes.  Constants are never loaded or
    stored: they are literals wherever they are read.
    """

    nodes: tuple[int, ...]
    inputs: tuple[int, ...]
    loads: tuple[tuple[int, int], ...]
    spills: tuple[tuple[int, int], ...]
    outputs: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class ChunkPlan:
    """Chunks to run in order, and how many intermediate slots they share."""

    chunks: tuple[Chunk, ...]
    n_slots: int


def plan_chunks(graph: Graph, max_nodes: int) -> ChunkPlan:
    """Cut the legal ``graph`` into chunks of at most ``max_nodes`` GATE/NOT nodes.

    Always returns at least one chunk.  Output planes are written by the
    chunk that computes them; planes that are inputs or constants by the last.
    Deterministic: slots are allocated lowest-free-first.
    """
    if max_nodes < 1:
        raise ValueError(f"chunks need at least one node, not {max_nodes}")
    ops = graph.op
    body = [i for i in range(graph.n_inputs, graph.n_nodes) if ops[i] in (Op.GATE, Op.NOT)]
    groups = [body[k : k + max_nodes] for k in range(0, len(body), max_nodes)] or [[]]
    last = len(groups) - 1
    chunk_of = {node: c for c, group in enumerate(groups) for node in group}

    inputs: list[set[int]] = [set() for _ in groups]
    crossing: list[set[int]] = [set() for _ in groups]   # values chunk c reads from earlier chunks
    last_read: dict[int, int] = {}

    def read(node: int, c: int) -> None:
        if ops[node] == Op.INPUT:
            inputs[c].add(node)
        elif node in chunk_of and chunk_of[node] != c:
            crossing[c].add(node)
            last_read[node] = max(last_read.get(node, c), c)

    for c, group in enumerate(groups):
        for node in group:
            for f in read_fanins(graph, node):
                read(f, c)
    outputs: list[list[tuple[int, int]]] = [[] for _ in groups]
    for plane, node in enumerate(PlaneLayout.of(graph).planes):
        c = chunk_of.get(node, last)
        outputs[c].append((plane, node))
        read(node, c)

    # Linear scan over chunks: free the slots of values whose last reader is
    # this chunk, then give this chunk's spilled values the lowest free slots.
    # Reusing a slot that this very chunk reads is safe because a chunk loads
    # everything before it stores anything, and each invocation touches only
    # its own word of every slot.
    slot: dict[int, int] = {}
    free: list[int] = []
    n_slots = 0
    dies_after: dict[int, list[int]] = {}
    for node, c in last_read.items():
        dies_after.setdefault(c, []).append(node)
    chunks = []
    for c, group in enumerate(groups):
        for node in dies_after.get(c, ()):
            heapq.heappush(free, slot[node])
        spills = []
        for node in group:
            if node in last_read:
                if free:
                    slot[node] = heapq.heappop(free)
                else:
                    slot[node] = n_slots
                    n_slots += 1
                spills.append((node, slot[node]))
        chunks.append(Chunk(
            nodes=tuple(group),
            inputs=tuple(sorted(inputs[c])),
            loads=tuple((node, slot[node]) for node in sorted(crossing[c])),
            spills=tuple(spills),
            outputs=tuple(outputs[c]),
        ))
    return ChunkPlan(tuple(chunks), n_slots)
