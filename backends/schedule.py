"""Split a legal graph into pieces of bounded size, for every backend that compiles code.

Compilers are fast on many small functions and slow on one huge one (gcc
-O2 and LLVM's instruction schedulers are superlinear in function size; a
GPU driver compiles each shader entry point as one block), so the C, LLVM
and WGSL backends emit the graph as a sequence of *chunks*: each chunk is
one function (or entry point) that computes a bounded number of nodes for
one word of samples.

A value lives in one of four places:

* an input plane (``in``), read where needed;
* a constant, rendered inline;
* a local of the chunk that computes it, when only that chunk reads it;
* a *scratch slot*, when later chunks read it, or the output plane it is
  written to when it is an output (later chunks read it back from there).

Slots are reused once no later chunk reads the value in them (interval
colouring over chunk indices), so the scratch array stays as small as the
widest cut of the graph and, per thread, in cache.

Nodes are ordered depth-first from the outputs: the cone of one output is
finished before the next starts, which keeps values close to their readers
(few slots, short live ranges for the register allocator).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np


from ..ir import gates as G
from ..ir.graph import Graph, Op
from .target import PlaneLayout

#: The chunk size (option ``chunk_nodes``) of each target that compiles chunks, in nodes: the one
#: table of defaults, each sized by what its compiler measured.
#: * c 256: gcc compiles small functions a little faster per node (register allocation is
#:   superlinear) and they ran no slower (256 vs 1024: 7.0 s vs 8.6 s of compiler CPU, 48k gates);
#: * llvm 512: LLVM's instruction selection and register allocation are superlinear in function
#:   size; docs/design.md section 5 measured 250 to 2000 as the sweet spot;
#: * wgsl 8192: every cut adds a store and loads per crossing value, and on llvmpipe compile time
#:   grows with memory operations more than with gates (4,144 gates in one entry point 22 s, in
#:   chunks of 1,024: 55 s), so chunks are large; the bound keeps any one entry point (a driver
#:   compiles each separately) from growing with the net.
CHUNK_NODES = {"c": 256, "llvm": 512, "wgsl": 8192}

#: The bound :func:`schedule` uses when none is given.
DEFAULT_CHUNK_NODES = 1024


def check_chunk_nodes(n) -> int:
    """``n`` as an int if it is a valid chunk size (option ``chunk_nodes``), else :class:`TargetError`."""
    from ..errors import TargetError

    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise TargetError(f"chunk_nodes must be a positive integer, not {n!r}")
    return int(n)

# Where a value read by a chunk comes from.
FROM_INPUT, FROM_SLOT, FROM_OUTPUT = "in", "slot", "out"


# The steps of a chunk's program.
LOAD, COMPUTE, STORE, WRITE = "load", "compute", "store", "write"


@dataclass(frozen=True)
class Chunk:
    """One function's work, as a straight-line program of steps.

    * ``(LOAD, node, place, index)``: take the value of ``node`` from input
      plane ``index`` (place ``FROM_INPUT``), scratch slot ``index``
      (``FROM_SLOT``) or output plane ``index`` written by an earlier chunk
      (``FROM_OUTPUT``);
    * ``(COMPUTE, node)``: compute a gate or NOT node from values already
      loaded or computed (constant fanins are rendered inline);
    * ``(STORE, node, slot)``: keep the value for later chunks;
    * ``(WRITE, plane, node)``: write an output plane (a constant node's
      value is rendered inline).

    Loads come right before the first step that needs them and stores and
    writes right after the value is computed, so few values are live at once.
    """

    steps: tuple[tuple, ...]

    @property
    def nodes(self) -> tuple[int, ...]:
        """The nodes this chunk computes, in order."""
        return tuple(step[1] for step in self.steps if step[0] == COMPUTE)


@dataclass(frozen=True)
class Schedule:
    """The chunks of a legal graph and the size of its scratch array."""

    chunks: tuple[Chunk, ...]
    n_slots: int
    n_planes: int

    @property
    def n_nodes(self) -> int:
        """Gate and NOT nodes computed, over all chunks."""
        return sum(len(c.nodes) for c in self.chunks)


def _logic_mask(graph: Graph) -> list[bool]:
    return ((graph.op == Op.GATE) | (graph.op == Op.NOT)).tolist()


# Per gate id: which of (a, b) its value depends on (a raw -O0 graph keeps ids
# like 3, "a", whose b is never read and so is never loaded or kept alive).
GATE_READS = tuple((G.depends_on_a(g), G.depends_on_b(g)) for g in range(16))


def _fanins(graph: Graph) -> list[tuple[int, ...]]:
    """The fanins each node reads: those of (a, b) a gate depends on, (a,) for NOTs, () otherwise."""
    ops, args, fa, fb = graph.op.tolist(), graph.arg.tolist(), graph.a.tolist(), graph.b.tolist()
    gate, not_ = int(Op.GATE), int(Op.NOT)
    out: list[tuple[int, ...]] = []
    for op, g, a, b in zip(ops, args, fa, fb):
        if op == gate:
            reads_a, reads_b = GATE_READS[g]
            out.append((a, b) if reads_a and reads_b else (a,) if reads_a else (b,) if reads_b else ())
        else:
            out.append((a,) if op == not_ else ())
    return out


def evaluation_order(graph: Graph, roots, fanins=None) -> list[int]:
    """Gate and NOT nodes the ``roots`` depend on, in depth-first post-order.

    Each root's cone is completed before the next root starts.  Iterative,
    so deep graphs do not hit Python's recursion limit.
    """
    fanins = fanins or _fanins(graph)
    logic = _logic_mask(graph)
    # 0: not reached yet, 1: its fanins are being ordered, 2: ordered.
    state = bytearray(graph.n_nodes)
    order: list[int] = []
    append = order.append
    for root in roots:
        if state[root] or not logic[root]:
            continue
        stack = [root]
        # ~node is pushed below a node's fanins and popped once they are all ordered.
        # A node may be pushed by several readers; only its first pop expands it.
        while stack:
            node = stack.pop()
            if node < 0:
                state[~node] = 2
                append(~node)
                continue
            if state[node]:
                continue
            state[node] = 1
            stack.append(~node)
            for x in reversed(fanins[node]):  # a's cone first
                if not state[x] and logic[x]:
                    stack.append(x)
    return order


def schedule(graph: Graph, chunk_nodes: int = DEFAULT_CHUNK_NODES) -> Schedule:
    """Partition the live logic of a legal ``graph`` into chunks of at most ``chunk_nodes`` nodes."""
    if chunk_nodes < 1:
        raise ValueError("chunk_nodes must be at least 1")
    planes = list(PlaneLayout.of(graph).planes)
    fanins = _fanins(graph)
    logic = _logic_mask(graph)
    ops, args = graph.op.tolist(), graph.arg.tolist()
    order = evaluation_order(graph, planes, fanins)
    n_chunks = max(1, -(-len(order) // chunk_nodes))
    chunk_of = [-1] * graph.n_nodes
    for pos, node in enumerate(order):
        chunk_of[node] = pos // chunk_nodes

    # Last chunk reading each computed value.
    last_use = list(chunk_of)
    for node in order:
        c = chunk_of[node]
        for x in fanins[node]:
            if c > last_use[x]:
                last_use[x] = c

    writes_of: dict[int, list[int]] = {}
    for k, node in enumerate(planes):
        writes_of.setdefault(node, []).append(k)

    # Values read by later chunks get a slot unless they are output planes.
    slot_of: dict[int, int] = {}
    free: list[int] = []
    n_slots = 0
    expiring: list[tuple[int, int]] = []  # (last chunk, slot)
    for node in order:
        c, last = chunk_of[node], last_use[node]
        while expiring and expiring[0][0] < c:
            heapq.heappush(free, heapq.heappop(expiring)[1])
        if last > c and node not in writes_of:
            slot = heapq.heappop(free) if free else n_slots
            n_slots = max(n_slots, slot + 1)
            slot_of[node] = slot
            heapq.heappush(expiring, (last, slot))

    input_, const = int(Op.INPUT), int(Op.CONST)

    def place(x: int) -> tuple[str, int]:
        if ops[x] == input_:
            return FROM_INPUT, args[x]
        if x in slot_of:
            return FROM_SLOT, slot_of[x]
        return FROM_OUTPUT, writes_of[x][0]

    steps: list[list[tuple]] = [[] for _ in range(n_chunks)]
    loaded_in = [-1] * graph.n_nodes  # the last chunk that loaded each value
    for node in order:
        c = chunk_of[node]
        add = steps[c].append
        for x in fanins[node]:
            # Constants are inline and values of this chunk are locals; the rest is loaded once.
            if loaded_in[x] != c and ops[x] != const and not (logic[x] and chunk_of[x] == c):
                loaded_in[x] = c
                add((LOAD, x, *place(x)))
        add((COMPUTE, node))
        if node in slot_of:
            add((STORE, node, slot_of[node]))
        for k in writes_of.get(node, ()):
            add((WRITE, k, node))
    # Output planes that are inputs or constants are written by the last chunk.
    last = n_chunks - 1
    for k, node in enumerate(planes):
        if not logic[node]:
            if ops[node] == input_ and loaded_in[node] != last:
                loaded_in[node] = last
                steps[last].append((LOAD, node, *place(node)))
            steps[last].append((WRITE, k, node))

    return Schedule(tuple(Chunk(tuple(s)) for s in steps), n_slots, len(planes))


def single_chunk(graph: Graph) -> Chunk:
    """The live logic of a legal ``graph`` as one chunk in node-index order (no slots, no read-backs).

    For a small kernel inlined into a loop (the stencil engines' cell
    function): gcc schedules the node-index (topological) order better than
    the depth-first order of :func:`schedule`; measured on the shipped Life
    circuit at -O2, 31.6k against 26.7k steps/s on a 512x512 board.
    """
    planes = list(PlaneLayout.of(graph).planes)
    fanins = _fanins(graph)
    live = sorted(evaluation_order(graph, planes, fanins))
    ops, args = graph.op.tolist(), graph.arg.tolist()
    input_ = int(Op.INPUT)
    steps = [(LOAD, i, FROM_INPUT, args[i]) for i in range(graph.n_nodes) if ops[i] == input_]
    steps += [(COMPUTE, node) for node in live]
    steps += [(WRITE, k, node) for k, node in enumerate(planes)]
    return Chunk(tuple(steps))
