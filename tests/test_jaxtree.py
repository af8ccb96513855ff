"""JAX nets stored as the JAX references keep them (params + wires pytrees) give the references' hard outputs."""

import jax
import jax.numpy as jnp  # the pytrees hold jax arrays, as the references' do
import numpy as np
import pytest

import gatecc
from conftest import assert_one_line_error
from gatecc.importers.jaxtree import split_path
from gatecc.ir import all_inputs, evaluate_samples
from gatecc.lower import lower

X9 = all_inputs(9)


def circuit(net):
    """The imported net's circuit on every input, by the reference evaluator (C is tested against it)."""
    return evaluate_samples(lower(net), X9)


def _reference_net(seed, dims=(9, 32, 16, 8)):
    """params[i] (n, 16) logits and wires[i] = [a, b], laid out as the JAX references lay them out."""
    rng = np.random.default_rng(seed)
    params, wires = [], []
    for in_dim, out_dim in zip(dims[:-1], dims[1:]):
        c = rng.permutation(in_dim)[rng.permutation(2 * out_dim) % in_dim].reshape(2, out_dim)
        wires.append([jnp.asarray(c[0]), jnp.asarray(c[1])])
        params.append(jnp.asarray(rng.normal(size=(out_dim, 16)), dtype=jnp.float32))
    return params, wires


def _reference_hard(params, wires, x):
    """The references' hard forward: one_hot(argmax) over the 16 relaxations, layer by layer.

    Written in numpy (JAX would compile every op here, for nothing): the same formulas.
    """
    x = np.asarray(x, np.float32)
    for logits, (ia, ib) in zip(params, wires):
        a, b = x[..., np.asarray(ia)], x[..., np.asarray(ib)]
        ops = np.stack([np.zeros_like(a), a * b, a - a * b, a, b - a * b, b, a + b - 2 * a * b, a + b - a * b,
                        1 - (a + b - a * b), 1 - (a + b - 2 * a * b), 1 - b, 1 - b + a * b, 1 - a,
                        1 - a + a * b, 1 - a * b, np.ones_like(a)], axis=-1)
        x = np.sum(ops * np.eye(16, dtype=np.float32)[np.argmax(np.asarray(logits), axis=-1)], axis=-1)
    return x


def _save(path, tree):
    leaves = jax.tree_util.tree_flatten_with_path(tree)[0]
    np.savez(path, **{jax.tree_util.keystr(p): np.asarray(v) for p, v in leaves})


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_flattened_pytree_gives_the_reference_hard_outputs(tmp_path, seed):
    params, wires = _reference_net(seed)
    _save(tmp_path / "net.npz", {"params": params, "wires": wires})
    net = gatecc.load(tmp_path / "net.npz", "jax")
    assert net.n_inputs == 9 and net.widths == [32, 16, 8]
    got = circuit(net)
    np.testing.assert_array_equal(got, _reference_hard(params, wires, X9).astype(np.uint8))


def test_groupsum_inputs_and_a_named_subnetwork(tmp_path):
    params, wires = _reference_net(3, dims=(9, 24, 12))
    tree = {"params": {"update": params}, "wires": {"update": [jnp.stack(w) for w in wires]},
            "groupsum_k": 4, "groupsum_tau": 2.0, "n_inputs": 9}
    _save(tmp_path / "net.npz", tree)
    net = gatecc.load(tmp_path / "net.npz", "jax")
    assert (net.groupsum.k, net.groupsum.tau) == (4, 2.0)
    bits = _reference_hard(params, wires, X9)
    np.testing.assert_array_equal(circuit(net), bits.reshape(len(X9), 4, 3).sum(-1).astype(np.int32))


def test_slash_separated_keys(tmp_path):
    params, wires = _reference_net(4, dims=(9, 8, 4))
    arrays = {}
    for i, (p, (a, b)) in enumerate(zip(params, wires)):
        arrays[f"params/{i}"], arrays[f"wires/{i}/0"], arrays[f"wires/{i}/1"] = p, a, b
    np.savez(tmp_path / "net.npz", **{k: np.asarray(v) for k, v in arrays.items()})
    got = circuit(gatecc.load(tmp_path / "net.npz", "jax"))
    np.testing.assert_array_equal(got, _reference_hard(params, wires, X9).astype(np.uint8))


def test_path_parts():
    assert split_path("['wires'][3][1]") == ("wires", "3", "1")
    assert split_path("params/update/2") == ("params", "update", "2")
    assert split_path(".params[0]") == ("params", "0")


@pytest.mark.parametrize("edit, needle", [
    (lambda t: t["wires"].pop(), "missing wires for layer 2"),
    (lambda t: t["params"].__setitem__(1, jnp.zeros((16, 8))), "gate weights have shape (16, 8)"),
    (lambda t: t["wires"][0].__setitem__(1, t["wires"][0][1][:3]), "index vectors have 32 and 3 entries"),
    (lambda t: t["wires"][1].__setitem__(0, t["wires"][1][0] + 500), "out of range"),
    (lambda t: t.__setitem__("optimizer", jnp.zeros(3)), "unexpected key \"['optimizer']\""),
    (lambda t: t.__setitem__("groupsum_tau", 2.0), "groupsum_tau is given without groupsum_k"),
    (lambda t: t.__setitem__("params", {"a": t["params"], "b": t["params"]}), "several networks"),
])
def test_bad_pytrees_get_one_clear_error(tmp_path, cli, edit, needle):
    params, wires = _reference_net(5)
    tree = {"params": list(params), "wires": [list(w) for w in wires]}
    edit(tree)
    _save(tmp_path / "net.npz", tree)
    with pytest.raises(gatecc.ModelError, match=needle.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        gatecc.load(tmp_path / "net.npz", "jax")
    assert_one_line_error(cli("stats", "net.npz", "--from", "jax"), needle)


def test_a_pytree_read_as_model_format_v1_says_what_is_missing(tmp_path, cli):
    params, wires = _reference_net(6, dims=(9, 4))
    _save(tmp_path / "net.npz", {"params": params, "wires": wires})
    assert_one_line_error(cli("stats", "net.npz"), "missing key 'format'", "--from jax")
