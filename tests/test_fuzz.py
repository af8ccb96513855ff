"""The mutation fuzzer (tests/fuzzing.py), briefly: a few thousand hostile variants of every format.

The long run is ``benchmarks/fuzz.py`` (>= 100,000 cases).  A case passes when
it is a clean one-line GateccError or a correct acceptance (valid graph,
ir.evaluate == compiled C on sampled cases).
"""

import random
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzzing as F
import hostile_files as H

SEEDS = F.make_seeds()
READERS = sorted({s.reader for s in SEEDS})


@pytest.fixture(scope="module")
def checker(tmp_path_factory):
    # Compile the first accepted case of each run and then 1 in 150, at most 4 times (C builds are slow).
    return F.Checker(tmp_path_factory.mktemp("fuzz"), compile_every=150, max_compiles=4)


def _case(seed_index: int, rng_seed: int):
    rng = random.Random(rng_seed)
    seed = SEEDS[seed_index]
    data, mutations = F.mutate(rng, seed, SEEDS)
    return seed, data, mutations


FAST = settings(max_examples=1500, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@FAST
@given(st.integers(0, len(SEEDS) - 1), st.integers(0, 2**32 - 1))
def test_every_reader_survives_mutation(checker, seed_index, rng_seed):
    seed, data, mutations = _case(seed_index, rng_seed)
    outcome = checker.load_case(seed, data)
    assert not outcome.startswith("failure"), (seed.name, mutations, outcome)


@settings(max_examples=200, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.integers(0, len(SEEDS) - 1), st.integers(0, 2**32 - 1), st.sampled_from(["stats", "lower", "verify", "run"]))
def test_cli_survives_mutation(checker, seed_index, rng_seed, command):
    seed, data, mutations = _case(seed_index, rng_seed)
    if command in ("verify", "run") and len(seed.data) > 4096:
        command = "stats"  # SAT and C builds on the big seeds cost seconds each: keep those to stats
    outcome = checker.cli_case(seed, data, command)
    assert not outcome.startswith("failure"), (seed.name, command, mutations, outcome)


@pytest.mark.parametrize("reader", READERS)
def test_cli_subprocess_on_a_mutant(reader, tmp_path):
    # One real process per reader: the exit status and stderr a user sees.
    seed = next(s for s in SEEDS if s.reader == reader)
    data, _ = F.mutate(random.Random(reader), seed, SEEDS)
    path = F.Checker(tmp_path).write(seed, data)
    fmt = ["--from", seed.fmt] if seed.fmt else []
    proc = subprocess.run([sys.executable, "-m", "gatecc", "stats", str(path), *fmt],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)   # not the source tree
    assert proc.returncode in (0, 2), proc.stderr
    if proc.returncode == 2:
        assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr, proc.stderr
    else:
        assert proc.stdout.startswith("model")


def test_the_checker_catches_a_reader_that_is_not_bounded(tmp_path, monkeypatch):
    # The fuzzer's oracle must be able to fail: with numpy's own .npz loader back in place, the
    # reproducers of issue 20 are classified as failures again.
    import io

    import numpy as np

    import gatecc.importers.peers as peers
    import gatecc.model as model

    def unbounded(path):
        with np.load(io.BytesIO(path.read_bytes()), allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}

    monkeypatch.setattr(model, "read_npz_arrays", unbounded)
    monkeypatch.setattr(peers, "read_npz_arrays", unbounded)
    checker = F.Checker(tmp_path)
    seed = F.Seed("npz", "m.npz", b"")
    outcomes = [checker.load_case(seed, make()) for make in (H.bad_npy_header, H.no_npy_magic, H.bad_zip_method)]
    assert all(o.startswith("failure") for o in outcomes), outcomes


def test_the_checker_catches_a_wrong_compiled_result(tmp_path, monkeypatch):
    # An accepted model whose compiled code disagrees with ir.evaluate is a failure.
    import gatecc.compiler as compiler

    real = compiler.compile

    def wrong(*args, **kw):
        net = real(*args, **kw)
        run = net.__call__
        return lambda x: 1 - run(x) if net.graph.n_outputs else run(x)

    import gatecc

    monkeypatch.setattr(gatecc, "compile", wrong)
    checker = F.Checker(tmp_path, compile_every=1, max_compiles=1)
    seed = next(s for s in SEEDS if s.name == "m.aag")
    assert checker.load_case(seed, seed.data) == "failure: compiled C differs from ir.evaluate"
