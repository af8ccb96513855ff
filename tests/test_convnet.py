"""ConvNet: the soft model in JAX (soft and hard) against the reference evaluator, the file format, bad models."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings

import gatecc
from gatecc.convnet import ConvNet, DenseHead, TreeConv
from gatecc.convsoft import conv_params, soft_forward, with_params
from gatecc.errors import ModelError
from gatecc.ir import all_inputs, evaluate_samples
from gatecc.ir import gates as G
from gatecc.ir.spatial import Flatten, MapShape, OrPool, evaluate_program, unroll
from gatecc.model import GroupSum, Layer, LogicNet
from gatecc.testing_spatial import conv_nets


def _inputs(n, seed=0):
    return all_inputs(n) if n <= 12 else np.random.default_rng(seed).integers(0, 2, (64, n), dtype=np.uint8)


def _counts(net, soft):
    gs = net.groupsum
    return soft if gs is None else soft * np.float32(gs.tau)


@settings(max_examples=20)
@given(conv_nets(max_input_bits=30))
def test_hard_soft_model_is_the_reference_evaluator(net):
    x = _inputs(net.n_inputs)
    program = net.to_program()
    ref = evaluate_program(program, x)
    hard = _counts(net, net.soft_eval(x, hard=True))
    np.testing.assert_allclose(hard, ref, atol=1e-4)
    assert np.array_equal(evaluate_samples(unroll(program), x), ref)
    assert np.array_equal(gatecc.soft_eval(net, x.reshape(len(x), net.input.channels, *net.input.spatial),
                                           hard=True), net.soft_eval(x, hard=True))


def _mix(logits, a, b):
    """Softmax mixture of the 16 gates' multilinear forms, from the truth tables (independent of soft.py)."""
    p = np.exp(logits - logits.max())
    p /= p.sum()
    forms = [sum(G.truth(g, i, j) * (a if i else 1 - a) * (b if j else 1 - b) for i in (0, 1) for j in (0, 1))
             for g in range(16)]
    return sum(pg * f for pg, f in zip(p, forms))


def test_soft_tree_conv_is_torchlogix_relaxation_per_position():
    rng = np.random.default_rng(5)
    leaves = np.stack([rng.integers(0, 2, (2, 4)), rng.integers(0, 3, (2, 4)), rng.integers(0, 3, (2, 4))], -1)
    levels = (rng.normal(size=(2, 2, 16)).astype(np.float32), rng.normal(size=(2, 1, 16)).astype(np.float32))
    net = ConvNet(MapShape(2, (4, 5)), (TreeConv(0, leaves, levels, (3, 3), (1, 2), (1, 1)), OrPool(1, (2, 2), (1, 1), (1, 1))))
    x = rng.uniform(size=(3, 40)).astype(np.float32)
    got = net.soft_eval(x).reshape(3, 2, 5, 4)
    img = np.pad(x.reshape(3, 2, 4, 5), ((0, 0), (0, 0), (1, 1), (1, 1)))
    conv = np.zeros((3, 2, 4, 3))
    for n, k, y, xx in itertools.product(range(3), range(2), range(4), range(3)):
        leaf = [img[n, c, y + dy, 2 * xx + dx] for c, dy, dx in leaves[k]]
        mid = [_mix(levels[0][k, i], leaf[2 * i], leaf[2 * i + 1]) for i in range(2)]
        conv[n, k, y, xx] = _mix(levels[1][k, 0], mid[0], mid[1])
    pooled = np.zeros((3, 2, 5, 4))
    padded = np.pad(conv, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    for y, xx in itertools.product(range(5), range(4)):
        pooled[:, :, y, xx] = padded[:, :, y:y + 2, xx:xx + 2].max(axis=(2, 3))
    np.testing.assert_allclose(got, pooled, rtol=1e-5, atol=1e-6)


@settings(max_examples=4)
@given(conv_nets(max_input_bits=30, head=True))
def test_soft_forward_is_differentiable_and_params_round_trip(net):
    import jax
    import jax.numpy as jnp

    forward = soft_forward(net)
    params = conv_params(net)
    x = np.random.default_rng(0).uniform(size=(8, net.n_inputs)).astype(np.float32)
    grads = jax.jit(jax.grad(lambda p: jnp.sum(forward(p, x) ** 2)))(params)
    flat = jax.tree_util.tree_leaves(grads)
    assert flat and all(np.isfinite(np.asarray(g)).all() for g in flat)
    assert any(np.abs(np.asarray(g)).max() > 0 for g in flat)
    moved = jax.tree_util.tree_map(lambda p, g: p - 0.5 * g, params, grads)
    back = with_params(net, moved)
    for mine, theirs in zip(jax.tree_util.tree_leaves(conv_params(back)), jax.tree_util.tree_leaves(moved)):
        np.testing.assert_array_equal(mine, np.asarray(theirs))
    assert back.to_program().input == net.to_program().input
    assert with_params(net, params).to_program() == net.to_program()


@settings(max_examples=10)
@given(net=conv_nets(max_input_bits=40))
def test_file_round_trip_is_exact_and_deterministic(tmp_path_factory, net):
    path = tmp_path_factory.mktemp("convnet") / "net.npz"
    net.save(path)
    back = gatecc.load(path)
    assert isinstance(back, ConvNet)
    assert back.to_program() == net.to_program()
    x = _inputs(net.n_inputs)
    assert np.array_equal(back.soft_eval(x), net.soft_eval(x))
    back.save(path.with_name("again.npz"))
    assert path.read_bytes() == path.with_name("again.npz").read_bytes()


# -- bad conv models: one clear line each -------------------------------------------------------------------------
_LEAVES = np.array([[[0, 0, 0], [0, 1, 1]]])
_LEVELS = (np.zeros((1, 1, 16), np.float32),)


def _dense(n_in, k=1):
    return DenseHead(2, LogicNet(n_in, [Layer(np.zeros(2, np.int64), np.ones(2, np.int64), gates=np.array([1, 6]))],
                                 GroupSum(k)))


@pytest.mark.parametrize("stages, message", [
    ((TreeConv(0, np.array([[[0, 0, 0], [0, 2, 1]]]), _LEVELS, (2, 2), (1, 1), (0, 0)),),
     "stage 0 (treeconv) window entry 1 (0, 2, 1): axis 0 offset 2 is outside the receptive field of size 2"),
    ((TreeConv(0, np.array([[[1, 0, 0], [0, 1, 1]]]), _LEVELS, (2, 2), (1, 1), (0, 0)),), "outside the input's 1 channels"),
    ((TreeConv(0, _LEAVES, (), (2, 2), (1, 1), (0, 0)),), "2 leaves per kernel but 0 tree levels"),
    ((TreeConv(0, _LEAVES, (np.full((1, 1, 16), np.nan, np.float32),), (2, 2), (1, 1), (0, 0)),), "NaN"),
    ((TreeConv(0, _LEAVES, (np.zeros((1, 2, 16), np.float32),), (2, 2), (1, 1), (0, 0)),), "expected float (1, 1, 16)"),
    ((TreeConv(0, _LEAVES, (np.array([[16]]),), (2, 2), (1, 1), (0, 0)),), "gate id 16 is not in 0..15"),
    ((OrPool(0, (6, 6), (1, 1), (0, 0)),), "pool window (6, 6) is larger than the padded input 1x4x4"),
    ((TreeConv(0, _LEAVES, _LEVELS, (2, 2), (1, 1), (0, 0)), Flatten(1), _dense(16)),
     "stage 2 (dense head): the graph has 16 inputs but value 2 has 9 bits"),
    ((TreeConv(0, _LEAVES, _LEVELS, (2, 2), (1, 1), (0, 0)), Flatten(3)), "src=3 is not an earlier value"),
    (("pool",), "unknown stage str"),
])
def test_bad_conv_models_are_refused(stages, message):
    with pytest.raises(ModelError) as info:
        ConvNet(MapShape(1, (4, 4)), stages)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_bad_files_are_refused(tmp_path):
    net = ConvNet(MapShape(1, (4, 4)), (TreeConv(0, _LEAVES, _LEVELS, (2, 2), (1, 1), (0, 0)),))
    from gatecc.convfile import convnet_arrays
    from gatecc.model import write_npz

    for edit, message in [(lambda a: a.pop("n_stages"), "missing key 'n_stages'"),
                          (lambda a: a.update({"stage0/kind": np.array("maxpool")}), "unknown stage kind 'maxpool'"),
                          (lambda a: a.update({"stage0/extra": np.array(1)}), "unexpected key 'stage0/extra'"),
                          (lambda a: a.update({"version": np.array(7)}), "unsupported convnet format version 7"),
                          (lambda a: a.update({"stage0/leaves": np.array([[[0, 0, 0], [0, 5, 0]]])}),
                           "outside the receptive field")]:
        arrays = convnet_arrays(net)
        edit(arrays)
        write_npz(tmp_path / "bad.npz", arrays)
        with pytest.raises(ModelError) as info:
            gatecc.load(tmp_path / "bad.npz")
        assert message in str(info.value) and str(tmp_path / "bad.npz") in str(info.value)
