"""The LLVM target: textual IR that LLVM tools accept, codegen settings, parallel parts, lazy import.

Exactness on all 512 inputs of 9-input nets and on random inputs of wide
ones is checked by tests/test_backends.py (every runnable target) and
tests/test_native.py (every vector width); this file covers what is
particular to LLVM.
"""

import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import gatecc
from gatecc.backends import get_target
from gatecc.ir import all_inputs, evaluate_samples

from backend_support import assert_matches_soft
from foreign import random_arrays, write

LLVM = get_target("llvm")
pytestmark = pytest.mark.skipif(LLVM.available() is not None, reason=f"llvm target: {LLVM.available()}")
X9 = all_inputs(9)


def _net(seed=3, **kw):
    from gatecc.model import net_from_arrays

    kw.setdefault("widths", (40, 24))
    kw.setdefault("k", 4)
    return net_from_arrays(random_arrays(seed, **kw))


def test_emitted_ir_and_each_part_parse_and_verify():
    import llvmlite.binding as llvm

    from gatecc.backends.llvm_jit import split_parts

    source = gatecc.compile(_net(), target="llvm", chunk_nodes=5).source
    llvm.parse_assembly(source).verify()
    parts, driver = split_parts(source)
    assert len(parts) > 1
    for part in parts:
        llvm.parse_assembly(part).verify()
    assert "define void @gatecc_eval" in driver and "define void @gatecc_info" in driver


@pytest.mark.skipif(shutil.which("llc") is None, reason="llc is not installed on this machine")
def test_llc_compiles_the_emitted_ir(tmp_path, cli):
    write(tmp_path / "m.npz", random_arrays(4, widths=(30, 10), k=2))
    res = cli("lower", "m.npz", "--target", "llvm", "-o", "net.ll")
    assert res.returncode == 0, res.stderr
    version = subprocess.run(["llc", "--version"], capture_output=True, text=True).stdout
    major = int(re.search(r"LLVM version (\d+)", version).group(1))
    flags = ["-opaque-pointers"] if major == 14 else []  # opaque pointers are the default from LLVM 15
    out = subprocess.run(["llc", *flags, "-O2", "-filetype=obj", "-o", str(tmp_path / "net.o"),
                          str(tmp_path / "net.ll")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "net.o").stat().st_size > 0


@pytest.mark.parametrize("codegen", ["auto", "full", "fast"])
def test_every_codegen_setting_is_exact(codegen):
    net = _net(5, n_inputs=9, widths=(60, 40, 20), k=4)
    assert_matches_soft(net, gatecc.compile(net, target="llvm", codegen=codegen, chunk_nodes=16), X9)


def test_unknown_codegen_setting_is_refused():
    with pytest.raises(gatecc.TargetError, match="codegen"):
        gatecc.compile(_net(), target="llvm", codegen="turbo")


def test_a_big_net_takes_the_fast_path_in_workers_and_is_cached(monkeypatch, tmp_path):
    # ~3k gates: above FULL_OPT_NODES, so "auto" uses codegen level 0; compiled in two worker processes.
    from gatecc.backends import llvm_jit, llvm_worker

    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent / "benchmarks"))
    from pipeline import random_net

    monkeypatch.setenv("GATECC_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("GATECC_THREADS", "2")
    monkeypatch.setattr(llvm_jit, "PARALLEL_MIN_NODES", 0)
    calls = []
    real = llvm_jit._compile_in_workers
    monkeypatch.setattr(llvm_jit, "_compile_in_workers", lambda texts, *a: calls.append(len(texts)) or real(texts, *a))
    net = random_net(64, 700, 4, 7, seed=11)
    compiled = gatecc.compile(net, target="llvm")
    assert calls == [2]
    x = np.random.default_rng(0).integers(0, 2, (3000, 64)).astype(bool)
    np.testing.assert_array_equal(compiled(x), evaluate_samples(compiled.graph, x))
    assert_matches_soft(net, compiled, x[:500])
    assert len(list(tmp_path.glob("llvm-*.o"))) >= 2

    def must_not_run(*args, **kwargs):
        raise AssertionError("compiled again")

    monkeypatch.setattr(llvm_jit, "_compile_in_workers", must_not_run)
    monkeypatch.setattr(llvm_worker, "compile_object", must_not_run)
    again = gatecc.compile(net, target="llvm")                # machine code from the cache
    np.testing.assert_array_equal(again(x), compiled(x))


def test_a_worker_that_cannot_start_falls_back_to_compiling_here(monkeypatch, tmp_path):
    from gatecc.backends import PlaneLayout, legalize, llvm_jit
    from gatecc.backends.native import NativeKernel
    from gatecc.ir.passes import optimize
    from gatecc.lower import lower

    monkeypatch.setenv("GATECC_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    monkeypatch.setattr(llvm_jit, "PARALLEL_MIN_NODES", 0)
    net = _net(6, n_inputs=9, widths=(50, 30), k=3)
    graph = legalize(optimize(lower(net), 2)[0])
    source = LLVM.emit(graph, chunk_nodes=4)
    assert llvm_jit._compile_in_workers([source], 0, False) is None
    engine = llvm_jit.compile_module(source, 10**6, "fast", jobs=2)
    kernel = NativeKernel.bind(engine.get_function_address, graph, llvm_jit.runtime_run)
    np.testing.assert_array_equal(kernel.run_samples(X9, PlaneLayout.of(graph)), evaluate_samples(graph, X9))


def test_invalid_ir_is_one_clear_build_error(tmp_path, monkeypatch):
    from gatecc.backends import llvm_jit

    monkeypatch.setenv("GATECC_CACHE_DIR", str(tmp_path))
    with pytest.raises(gatecc.BuildError, match="LLVM rejected") as info:
        llvm_jit.compile_module("define void @f() {\n  ret i32 0\n}\n", 1, "full")
    assert "\n" not in str(info.value)


def test_no_process_global_llvm_options_are_set(monkeypatch):
    import llvmlite.binding as llvm

    def forbidden(*args):
        raise AssertionError("llvm.set_option changes every LLVM user in the process")

    monkeypatch.setattr(llvm, "set_option", forbidden)
    for codegen in ("full", "fast"):
        gatecc.compile(_net(7), target="llvm", codegen=codegen, cache=False)


def test_import_and_the_c_target_do_not_load_llvmlite(tmp_path):
    code = ("import sys, numpy as np, gatecc\n"
            "from gatecc.model import LogicNet, Layer\n"
            "net = LogicNet(3, [Layer(np.array([0]), np.array([1]), gates=np.array([6], np.uint8))])\n"
            "print(gatecc.compile(net, target='c')(np.eye(3, dtype=bool)).ravel().tolist())\n"
            "print('llvmlite' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.stdout.split() == ["[1,", "1,", "0]", "False"], out.stderr
