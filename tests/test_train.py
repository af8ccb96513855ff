"""Training: wiring, the training loop, its hard metric, and `gatecc train`."""

import numpy as np
import pytest

import gatecc
from gatecc.ir import all_inputs
from gatecc.train.tasks import TASKS
from gatecc.train.trainer import TrainConfig, _init, _model_fns, train
from gatecc.train.wiring import _pair_sequence, make_wiring, unique_wiring

from conftest import assert_one_line_error


@pytest.mark.parametrize("m, n", [(9, 128), (128, 128), (128, 64), (64, 32), (2, 1), (1, 5), (7, 3)])
def test_unique_wiring(m, n):
    a, b = unique_wiring(m, n, np.random.default_rng(0))
    assert a.shape == b.shape == (n,)
    assert ((0 <= a) & (a < m) & (0 <= b) & (b < m)).all()
    pairs = list(zip(a.tolist(), b.tolist()))
    distinct = m * (m - 1) // 2 if m > 1 else 1
    assert len(set(pairs)) == min(n, distinct)            # no pair repeats before all are used
    if 2 * n >= m and m > 1:
        assert set(a.tolist()) | set(b.tolist()) == set(range(m))   # every input is read


def test_unique_pair_order_follows_petersen():
    a, b = _pair_sequence(6)
    assert list(zip(a.tolist(), b.tolist()))[:8] == [(0, 1), (2, 3), (4, 5), (1, 2), (3, 4), (0, 2), (1, 3), (2, 4)]


def test_wiring_is_deterministic_per_seed():
    w1 = make_wiring("random", 50, 40, np.random.default_rng(5))
    w2 = make_wiring("random", 50, 40, np.random.default_rng(5))
    assert all(np.array_equal(x, y) for x, y in zip(w1, w2))


def test_trainer_forward_is_the_soft_model():
    """The trainer's transposed-layout forward equals gatecc.soft_eval of the saved net."""
    import jax.numpy as jnp

    task = TASKS["life"]
    config = TrainConfig.for_task(task, layers=(16, 8, 4, 1), init_noise=2.0, seed=3)
    wires, logits = _init(task, config)
    forward, *_ = _model_fns(task)
    x = all_inputs(9).astype(np.float32)
    jw = [(jnp.asarray(a), jnp.asarray(b)) for a, b in wires]
    soft, _ = forward([jnp.asarray(w) for w in logits], jw, jnp.asarray(x.T))
    hard, _ = forward([jnp.asarray(w) for w in logits], jw, jnp.asarray(x.T), hard=True)
    from gatecc.train.trainer import _to_net
    net = _to_net(task, config, wires, logits, 0, 0.0)
    np.testing.assert_allclose(np.asarray(soft).T, gatecc.soft_eval(net, x), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(hard).T, gatecc.soft_eval(net, x, hard=True))


def test_short_life_training_runs_saves_and_lowers(tmp_path, cli):
    res = cli("train", "life", "--epochs", "20", "--layers", "16x3,8,4,2,1", "--quiet", "-o", "small.npz")
    assert res.returncode == 1                       # not exact after 20 epochs: says so, exit 1
    assert "NOT exact" in res.stdout and "saved small.npz" in res.stdout
    net = gatecc.load(tmp_path / "small.npz")
    assert net.widths == [16, 16, 16, 8, 4, 2, 1]
    assert str(net.meta["task"]) == "life" and int(net.meta["epochs"]) == 20
    compiled = gatecc.compile(net)
    x = all_inputs(9)
    assert np.array_equal(compiled(x), gatecc.soft_eval(net, x, hard=True))


def test_digits_hard_metric_matches_the_compiled_classifier():
    task = TASKS["digits"]
    result = train(task, TrainConfig.for_task(task, epochs=3, layers=(300, 300), seed=2), progress=False)
    net = result.net
    assert net.groupsum is not None and net.groupsum.k == 10
    data = task.data()
    counts = gatecc.compile(net)(data.x_test.astype(np.uint8))
    accuracy = float((np.argmax(counts, axis=1) == data.y_test).mean())
    assert accuracy == pytest.approx(result.test_accuracy, abs=1e-6)   # float32 mean in JAX
    assert accuracy > 0.5                            # three epochs already learn something


@pytest.mark.parametrize("args, needle", [
    (["life", "--layers", "12x"], "--layers"),
    (["life", "--epochs", "0"], "--epochs"),
    (["chess"], "neither a built-in task"),
])
def test_train_bad_arguments(cli, args, needle):
    assert_one_line_error(cli("train", *args), needle)


def _life_hard(net):
    gates = [g.copy() for g in net.gate_ids()]
    wires = [(layer.a.copy(), layer.b.copy()) for layer in net.layers]
    return gates, wires


def test_repair_fixes_a_broken_life_net():
    """Break the shipped net at one neuron; repair finds a resubstitution that makes it exact again."""
    from gatecc.commands.life import default_model
    from gatecc.ir.planes import pack_bits
    from gatecc.life import life_rule
    from gatecc.model import Layer, LogicNet
    from gatecc.train.repair import forward_words, repair

    net = gatecc.load(default_model())
    x = all_inputs(9)
    xp, yp = pack_bits(x), pack_bits(life_rule(x)[:, None])
    gates, wires = _life_hard(net)
    exact_before = forward_words(gates, wires, xp)[-1]
    assert np.array_equal(exact_before, yp)
    rng = np.random.default_rng(0)
    broken = 0
    for trial in range(20):
        g2, w2 = _life_hard(net)
        layer = int(rng.integers(10, len(g2)))
        j = int(rng.integers(0, len(g2[layer])))
        g2[layer][j] ^= 0b0110                      # a different gate at one neuron
        wrong = int(np.bitwise_count(forward_words(g2, w2, xp)[-1] ^ yp).sum())
        if wrong == 0:
            continue                                # that neuron did not matter
        broken += 1
        result = repair(g2, w2, xp, yp, 512)
        assert result.errors_before == wrong
        assert result.errors_after <= wrong         # never worse
        assert all(0 <= a.min() and a.max() < prev and 0 <= b.min() and b.max() < prev
                   for (a, b), prev in zip(w2, [9] + [len(g) for g in g2[:-1]]))
        if result.errors_after == 0:
            fixed = LogicNet(9, [Layer(a, b, gates=g) for (a, b), g in zip(w2, g2)])
            assert np.array_equal(gatecc.compile(fixed)(x)[:, 0], life_rule(x))
            return
    pytest.fail(f"repair fixed none of {broken} single-neuron breakages")
