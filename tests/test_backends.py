"""Every runnable backend computes exactly what the soft model computes.

Runs for each target in gatecc.backends.TARGETS that can execute here.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gatecc
from gatecc.ir.evaluate import all_inputs
from gatecc.testing import input_batches, logic_nets, raw_graphs

from backend_support import assert_matches_soft, runnable_targets, sources_from_two_empty_caches
from gatecc.backends import get_target, target_names

X9 = all_inputs(9)
TARGETS = runnable_targets()


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("level", [0, 1, 2, 3])
@given(net=logic_nets(n_inputs=9))
def test_all_512_inputs_match_hard_soft_model(target, level, net):
    assert_matches_soft(net, gatecc.compile(net, target=target, opt_level=level), X9)


@pytest.mark.parametrize("target", TARGETS)
@given(net=logic_nets(n_inputs=9, mode="one_hot"), level=st.sampled_from([0, 2]))
def test_one_hot_logits_match_the_soft_model_itself(target, net, level):
    assert_matches_soft(net, gatecc.compile(net, target=target, opt_level=level), X9, hard=False)


@pytest.mark.parametrize("target", TARGETS)
@settings(max_examples=15)
@given(data=st.data(), net=logic_nets(n_inputs=st.integers(20, 200), max_width=64))
def test_wide_nets_on_random_inputs(target, data, net):
    x = data.draw(input_batches(net.n_inputs, max_batch=400))
    assert_matches_soft(net, gatecc.compile(net, target=target), x)


@pytest.mark.parametrize("target", TARGETS)
def test_any_batch_size(target):
    from foreign import random_arrays
    from gatecc.model import net_from_arrays

    net = net_from_arrays(random_arrays(5, n_inputs=16, widths=(40, 20), k=4, tau=2.0))
    compiled = gatecc.compile(net, target=target)
    rng = np.random.default_rng(0)
    for batch in (1, 2, 31, 32, 33, 63, 64, 65, 127, 129, 1000):
        x = rng.integers(0, 2, (batch, 16)).astype(bool)
        assert_matches_soft(net, compiled, x)
    empty = compiled(np.zeros((0, 16), bool))
    assert empty.shape == (0, 4) and empty.dtype == np.int32


@pytest.mark.parametrize("target", target_names())
@pytest.mark.parametrize("level", [0, 3])
def test_source_is_deterministic(target, level, tmp_path, monkeypatch):
    # Two separate empty caches: two real runs of the pipeline, compared byte for byte.
    from foreign import random_arrays
    from gatecc.model import net_from_arrays

    net = net_from_arrays(random_arrays(6, k=2))
    first, second, cached = sources_from_two_empty_caches(net, target, level, tmp_path, monkeypatch)
    assert (tmp_path / f"cache-{target}-{level}-second").is_dir()     # the second run wrote its own entry
    assert first == second == cached


@pytest.mark.parametrize("target", TARGETS)
def test_bad_inputs_are_rejected(target):
    from foreign import random_arrays
    from gatecc.model import net_from_arrays

    compiled = gatecc.compile(net_from_arrays(random_arrays(7)), target=target)
    for bad, needle in [(np.zeros((4, 8)), "shape"), (np.zeros(9), "shape"),
                        (np.full((2, 9), 2), "0 or 1"), (np.array([["a"] * 9]), "bool or 0/1")]:
        with pytest.raises(gatecc.InputError, match=needle):
            compiled(bad)


@pytest.mark.parametrize("target", TARGETS)
def test_packed_api_matches_bool_api(target):
    from foreign import random_arrays
    from gatecc.ir.planes import pack_bits, unpack_bits
    from gatecc.model import net_from_arrays

    net = net_from_arrays(random_arrays(8, n_inputs=12, widths=(30, 7)))
    compiled = gatecc.compile(net, target=target)
    x = np.random.default_rng(1).integers(0, 2, (200, 12)).astype(np.uint8)
    planes = compiled.run_planes(pack_bits(x))
    assert planes.dtype == np.uint64 and planes.shape == (7, 4)
    np.testing.assert_array_equal(unpack_bits(planes, 200), compiled(x))


@pytest.mark.parametrize("target", TARGETS)
@given(graph=raw_graphs(), level=st.sampled_from([0, 2]), seed=st.integers(0, 2**32 - 1))
def test_odd_graphs_match_the_reference_evaluator(target, graph, level, seed):
    """Every gate id, constants, NOTs, fanins from anywhere, outputs that are inputs, no inputs at all."""
    from gatecc.ir.evaluate import evaluate_samples

    x = np.random.default_rng(seed).integers(0, 2, (70, graph.n_inputs), dtype=np.uint8)
    got = gatecc.compile(graph, target=target, opt_level=level)(x)
    np.testing.assert_array_equal(got.astype(np.int64), evaluate_samples(graph, x))


@pytest.mark.parametrize("target", target_names())
def test_unknown_options_are_an_error_naming_the_option(target):
    from foreign import random_arrays
    from gatecc.compiler import lower_to_source
    from gatecc.lower import lower
    from gatecc.model import net_from_arrays

    net = net_from_arrays(random_arrays(8, k=2))
    with pytest.raises(gatecc.TargetError, match="no option 'chunk_size'"):
        lower_to_source(net, target, 0, cache=False, chunk_size=64)
    if target in ("c", "llvm", "wgsl", "wgsl-fn"):          # their emit checks too, when called directly
        with pytest.raises(gatecc.TargetError, match="chunk_size"):
            get_target(target).emit(lower(net), chunk_size=64)
