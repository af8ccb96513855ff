"""The one native renderer: no import cycles among the backends, one chunk walk for every language."""

import ast
from pathlib import Path

import numpy as np
import pytest

import gatecc.backends as backends_pkg
from gatecc.backends import render
from gatecc.backends.schedule import FROM_INPUT, FROM_OUTPUT, FROM_SLOT, schedule
from gatecc.ir.graph import Graph

BACKENDS = Path(backends_pkg.__file__).parent


def _imports(path: Path) -> set[str]:
    """Sibling modules of gatecc.backends that ``path`` imports anywhere (module level or in a function)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found


def test_backend_modules_import_without_cycles():
    # Every import between backend modules, lazy ones included, points one way: emitters -> runtimes
    # -> contracts (abi, schedule, target), never back (llvm <-> llvm_jit, wgsl <-> wgpu_runtime were cycles).
    modules = {p.stem for p in BACKENDS.glob("*.py")} | {p.name for p in BACKENDS.iterdir() if p.is_dir()}
    graph = {p.stem: _imports(p) & modules for p in BACKENDS.glob("*.py") if p.stem != "__init__"}
    for pkg in (p for p in BACKENDS.iterdir() if (p / "__init__.py").exists()):
        graph[pkg.name] = set()
        for f in pkg.glob("*.py"):
            for node in ast.walk(ast.parse(f.read_text())):
                if isinstance(node, ast.ImportFrom) and node.level == 2 and node.module:
                    graph[pkg.name].add(node.module.split(".")[0])
        graph[pkg.name] &= modules
    state = {}

    def visit(m, path):
        if state.get(m) == 1:
            pytest.fail("import cycle: " + " -> ".join(path[path.index(m):] + [m]))
        if state.get(m) == 2:
            return
        state[m] = 1
        for n in sorted(graph.get(m, ())):
            visit(n, path + [m])
        state[m] = 2

    for m in sorted(graph):
        visit(m, [])
    assert {"llvm_jit", "render"} <= graph["llvm"] and "wgsl" not in graph["wgpu_runtime"]


class _PyChunks(render.ChunkRenderer):
    """A test language: each chunk is Python statements over ints (bit j = sample j)."""

    TEMPLATES = {"and": "({a} & {b})", "or": "({a} | {b})", "xor": "({a} ^ {b})", "not": "(~{a} & M)",
                 "0": "0", "1": "M"}
    places = {FROM_INPUT: "IN[{}]", FROM_SLOT: "S[{}]", FROM_OUTPUT: "OUT[{}]"}
    assign = "{node} = {expr}"

    def store(self, node, slot):
        self.lines.append(f"S[{slot}] = {self.operand(node)}")

    def write(self, plane, node):
        self.lines.append(f"OUT[{plane}] = {self.operand(node)}")


@pytest.mark.parametrize("raw", [False, True])
@pytest.mark.parametrize("chunk_nodes", [1, 3, 1000])
def test_chunk_walk_computes_the_graph(chunk_nodes, raw):
    # The walk of the base renderer alone (any language's hooks) evaluates the schedule it renders.
    from gatecc.ir.evaluate import evaluate_samples
    from gatecc.ir.builder import Builder

    rng = np.random.default_rng(chunk_nodes)
    b = Builder.raw(5) if raw else Builder(5)
    b.const(1)
    nodes = [b.input(i) for i in range(5)] + [b.const(0), b.const(1)]
    for _ in range(40):
        nodes.append(b.gate(int(rng.integers(0, 16)), nodes[rng.integers(len(nodes))], nodes[rng.integers(len(nodes))]))
    for x in nodes[-6:]:
        b.output(x)
    graph = b.finish()
    sched = schedule(graph, chunk_nodes)
    walker = _PyChunks(graph)
    x = rng.integers(0, 2, (37, 5)).astype(np.uint8)
    env = {"M": (1 << 37) - 1, "IN": [int("".join(map(str, x[::-1, i])), 2) for i in range(5)],
           "S": {}, "OUT": {}}
    for k, chunk in enumerate(sched.chunks):
        exec("\n".join(walker.chunk(k, chunk)), env)
    got = np.array([[(env["OUT"][p] >> j) & 1 for p in range(graph.n_outputs)] for j in range(37)], np.uint8)
    np.testing.assert_array_equal(got, evaluate_samples(graph, x))


def test_part_ranges_cover_every_chunk_once():
    for n in (0, 1, 7, 8, 9, 100):
        ranges = render.part_ranges(n)
        assert [i for r in ranges for i in r] == list(range(n)) and len(ranges) == max(1, min(8, n))
