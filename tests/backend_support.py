"""Helpers shared by the backend tests: which targets run here, and the oracle check."""

import numpy as np
import pytest

import gatecc
from gatecc.backends import get_target, target_names


def runnable_targets():
    """Every runnable target, each marked skip (with the reason) where it cannot run here."""
    params = []
    for name in target_names():
        target = get_target(name)
        if not target.runnable:
            continue
        reason = target.available()
        marks = [pytest.mark.skip(reason=f"{name}: {reason}")] if reason else []
        params.append(pytest.param(name, marks=marks, id=name))
    return params


def as_soft_scale(net, compiled_out):
    """Compiled outputs on the soft model's scale: bits as floats, counts / tau."""
    out = compiled_out.astype(np.float32)
    if net.groupsum is not None:
        out = out / np.float32(net.groupsum.tau)
    return out


def assert_matches_soft(net, compiled, x, hard=True):
    """compiled(x) equals the soft model (hard mode by default) exactly."""
    got = compiled(x)
    expected = gatecc.soft_eval(net, x, hard=hard)
    assert got.shape == expected.shape
    if net.groupsum is None:
        assert got.dtype == np.uint8
    else:
        assert got.dtype == np.int32
    np.testing.assert_array_equal(as_soft_scale(net, got), expected)


def run_schedule(graph, sched, planes: np.ndarray) -> np.ndarray:
    """Execute a chunk schedule on packed inputs exactly as a backend would; returns the output planes.

    Only what a chunk loads, computes or finds as a constant is visible to it,
    so a value the schedule forgot to bring in is a KeyError.
    """
    from gatecc.backends.schedule import COMPUTE, FROM_INPUT, FROM_SLOT, LOAD, STORE, WRITE
    from gatecc.ir import gates as G
    from gatecc.ir.graph import Op

    slots, out = {}, {}
    ops, args, fa, fb = graph.op, graph.arg, graph.a, graph.b
    ones = ~np.zeros(planes.shape[1], np.uint64)
    for chunk in sched.chunks:
        local = {}

        def value(x):
            if ops[x] == Op.CONST:
                return ones if args[x] else ~ones
            return local[x]

        for step in chunk.steps:
            if step[0] == LOAD:
                node, place, i = step[1:]
                local[node] = planes[i] if place == FROM_INPUT else slots[i] if place == FROM_SLOT else out[i]
            elif step[0] == COMPUTE:
                node = step[1]
                assert node not in local, "computed twice"
                if ops[node] == Op.GATE:
                    g = int(args[node])
                    # A fanin the gate ignores is never loaded: any value will do.
                    a = value(fa[node]) if G.depends_on_a(g) else ~ones
                    b = value(fb[node]) if G.depends_on_b(g) else ~ones
                    local[node] = G.evaluate_words(g, a, b)
                else:
                    local[node] = ~value(fa[node])
            elif step[0] == STORE:
                slots[step[2]] = local[step[1]]
            else:
                assert step[0] == WRITE
                out[step[1]] = value(step[2])
    return np.stack([out[k] for k in range(sched.n_planes)]) if sched.n_planes else np.zeros((0, planes.shape[1]))


def plane_values(graph, planes: np.ndarray) -> np.ndarray:
    """The reference: each output plane's node evaluated by gatecc.ir.evaluate."""
    from gatecc.backends.target import PlaneLayout
    from gatecc.ir.evaluate import evaluate
    from gatecc.ir.graph import Graph

    nodes = list(PlaneLayout.of(graph).planes)
    bits = Graph(graph.n_inputs, graph.op, graph.arg, graph.a, graph.b, graph.operands, nodes)
    return np.stack(evaluate(bits, planes)) if nodes else np.zeros((0, planes.shape[1]))


def sources_from_two_empty_caches(model, target, level, tmp_path, monkeypatch, **options):
    """The source ``target`` emits for ``model`` lowered from two separate empty caches, then from a warm one.

    Each lowering really runs the pipeline (the cache directory is new and
    empty), so comparing the first two compares two independent runs, not
    a cached copy with itself; the third reads the first one's entry back.
    """
    from gatecc.compiler import lower_to_source

    out = []
    for name in ("first", "second", "first"):
        monkeypatch.setenv("GATECC_CACHE_DIR", str(tmp_path / f"cache-{target}-{level}-{name}"))
        out.append(lower_to_source(model, target, level, **options).source)
    return out


def implementation_graph(impl, k: int):
    """The one-output Graph of a synthesis ``Implementation`` over ``k`` inputs
    (its node list: the inputs, then constants 0 and 1, then its gates)."""
    from gatecc.ir import Builder

    b = Builder(k)
    nodes = list(range(k)) + [b.const(0), b.const(1)]
    for g, x, y in impl.gates:
        nodes.append(b.gate(g, nodes[x], nodes[y]))
    out = b.const(impl.out_neg) if impl.out < 0 else nodes[impl.out]
    b.output(b.not_(out) if impl.out >= 0 and impl.out_neg else out)
    return b.finish()
