"""Training on user data: gatecc.train, `gatecc train DATA`, encoders, learnable wiring, devices."""

import os
import subprocess
import sys

import numpy as np
import pytest

import gatecc
from gatecc.ir.planes import pack_bits
from gatecc.model import npz_bytes
from gatecc.train.arch import ArchError, parse_arch
from gatecc.train.data import check_targets
from gatecc.train.fit import FitConfig, _init, fit, make_forward, to_net

from backend_support import runnable_targets
from conftest import assert_one_line_error


def _blobs(n=300, seed=0):
    """Three real-valued features; class = x0 > 0.5 or x1 < -1 (x2 is noise)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, size=(n, 3))
    y = ((x[:, 0] > 0.5) | (x[:, 1] < -1.0)).astype(np.int64)
    return x, y


@pytest.mark.parametrize("spec", ["dense(24),dense(12),groupsum(3)", "dense(20,wiring=random)x2,groupsum(4)",
                                  "dense(16,wiring=learnable,candidates=3)x2,groupsum(2)"])
def test_trainer_forward_is_soft_eval(spec):
    """fit's forward pass (soft.py's layer functions) equals gatecc.soft_eval of the net it saves."""
    import jax.numpy as jnp

    arch = parse_arch(spec)
    rng = np.random.default_rng(4)
    static, params = _init(arch, 10, rng, FitConfig())
    if "learnable" in spec:   # make the wiring choice non-trivial
        for p in params:
            p["wa"] = rng.standard_normal(p["wa"].shape).astype(np.float32) * 3
            p["wb"] = rng.standard_normal(p["wb"].shape).astype(np.float32) * 3
    forward = make_forward(static)
    x = rng.integers(0, 2, (50, 10)).astype(np.float32)
    table = check_targets(np.zeros((4, 10)), np.array([0, 1, 0, 1]))
    from gatecc.encoder import ThermometerEncoder

    enc = ThermometerEncoder(10, np.arange(10), np.full(10, 0.5, np.float32))
    from gatecc.train.arch import resolve

    k = arch.head.k
    net = to_net(resolve(arch, k, None), static, params, enc, table, FitConfig(), 0, {"epoch": 0, "score": 0.0})
    jp = [{key: jnp.asarray(v) for key, v in p.items()} for p in params]
    hard = np.asarray(forward(jp, jnp.asarray(x.T), hard=True)).T
    ref_hard = gatecc.soft_eval(net, x, hard=True)
    np.testing.assert_array_equal(hard.reshape(50, k, -1).sum(-1) / np.float32(net.groupsum.tau), ref_hard)
    if "learnable" not in spec:   # soft wiring is a mixture; the saved net holds its argmax
        soft = np.asarray(forward(jp, jnp.asarray(x.T))).T
        np.testing.assert_allclose(soft.reshape(50, k, -1).sum(-1) / net.groupsum.tau, gatecc.soft_eval(net, x),
                                   rtol=1e-5, atol=1e-5)


@pytest.fixture(scope="module")
def tiny_net():
    x, y = _blobs(400)
    net = gatecc.train(x[:300], y[:300], arch="dense(64)x2,groupsum(2)", epochs=30, seed=1, bits_per_feature=6)
    return net, x[300:], y[300:]


def test_tiny_table_trains_to_its_accuracy(tiny_net):
    net, x, y = tiny_net
    assert net.encoder is not None and net.encoder.n_features == 3
    accuracy = float(np.mean(np.argmax(gatecc.soft_eval(net, x, hard=True), axis=1) == y))
    assert accuracy >= 0.9, accuracy


@pytest.mark.parametrize("target", runnable_targets())
def test_compiled_net_on_raw_floats_is_soft_eval(tiny_net, target):
    """compile(net)(x_float) applies the encoder in generated code and equals soft_eval(net, x_float, hard=True)."""
    net = tiny_net[0]
    xr = np.random.default_rng(9).normal(0, 2, (257, 3))
    t = net.encoder.threshold
    xr[: t.size] = t[:, None].repeat(3, 1)     # values exactly on the thresholds
    fast = gatecc.compile(net, target=target)
    counts = fast(xr)
    ref = gatecc.soft_eval(net, xr, hard=True)
    np.testing.assert_array_equal(counts.astype(np.float32) / np.float32(net.groupsum.tau), ref)
    np.testing.assert_array_equal(fast.run_bits(net.encoder.encode(xr)), counts)
    with pytest.raises(gatecc.InputError, match="NaN"):
        fast(np.full((2, 3), np.nan))


def test_bit_outputs_train_with_mse_and_bce():
    rng = np.random.default_rng(2)
    x = rng.integers(0, 10, (300, 2)) / 10          # 10 levels: 9 thresholds separate them all
    y = np.stack([x[:, 0] > 0.45, (x[:, 0] > 0.45) & (x[:, 1] > 0.25)], axis=1).astype(np.uint8)
    for loss in ("mse", "bce"):
        net = gatecc.train(x, y, arch="dense(32),dense(16),dense(2)", epochs=60, loss=loss, bits_per_feature=9)
        out = gatecc.soft_eval(net, x, hard=True)
        assert out.shape == (300, 2)
        assert float(np.mean(out == y)) >= 0.97, loss


def test_encoder_survives_save_and_load(tmp_path):
    x, y = _blobs(120)
    net = gatecc.train(x, y, arch="dense(16),groupsum(2)", epochs=2, encode="uniform", bits_per_feature=5)
    net.save(tmp_path / "m.npz")
    back = gatecc.load(tmp_path / "m.npz")
    assert int(np.load(tmp_path / "m.npz")["version"]) == 2
    np.testing.assert_array_equal(back.encoder.threshold, net.encoder.threshold)
    np.testing.assert_array_equal(back.encoder.feature, net.encoder.feature)
    from gatecc.train.data import split_rows

    train_rows, _ = split_rows(len(x), 0.1, 0, "validation")
    col = x[train_rows, 0].astype(np.float32)      # uniform: evenly spaced between the training min and max
    t0 = net.encoder.threshold[net.encoder.feature == 0]
    np.testing.assert_allclose(t0, col.min() + (col.max() - col.min()) * np.arange(1, 6) / 6, atol=1e-6)
    np.testing.assert_array_equal(gatecc.soft_eval(back, x, hard=True), gatecc.soft_eval(net, x, hard=True))
    # A net without an encoder is still written as version 1.
    plain = gatecc.LogicNet(net.n_inputs, net.layers, net.groupsum)
    assert int(np.load(__import__("io").BytesIO(npz_bytes(plain.to_arrays())))["version"]) == 1


def test_binary_columns_pass_through():
    from gatecc.encoder import fit_encoder

    x = np.array([[0, 0.1], [1, 2.5], [1, 7.0], [0, 3.0]])
    enc = fit_encoder(x, "quantile", 3)
    assert enc.feature.tolist().count(0) == 1 and enc.threshold[0] == 0.5
    np.testing.assert_array_equal(enc.encode(x)[:, 0], x[:, 0])


def test_same_seed_same_bytes_and_resume_continues_exactly(tmp_path):
    x, y = _blobs(200)
    table = lambda: check_targets(x, y)     # noqa: E731
    cfg = dict(arch="dense(32)x2,groupsum(2)", seed=3, patience=100, batch_size=32)
    full = fit(table(), FitConfig(epochs=6, **cfg), checkpoint=tmp_path / "a.ckpt")
    again = fit(table(), FitConfig(epochs=6, **cfg))
    assert npz_bytes(full.net.to_arrays()) == npz_bytes(again.net.to_arrays())
    fit(table(), FitConfig(epochs=3, **cfg), checkpoint=tmp_path / "b.ckpt")
    resumed = fit(table(), FitConfig(epochs=6, **cfg), resume=tmp_path / "b.ckpt")
    assert npz_bytes(resumed.net.to_arrays()) == npz_bytes(full.net.to_arrays())
    assert [h["epoch"] for h in resumed.history] == list(range(1, 7))


def test_two_devices_match_one(tmp_path):
    """Data-parallel over 2 (forced host) devices gives the one-device result up to reduction order."""
    script = (
        "import numpy as np, jax, sys\n"
        "sys.path.insert(0, %r)\n"
        "from test_train_data import _blobs\n"
        "from gatecc.train.data import check_targets\n"
        "from gatecc.train.fit import fit, FitConfig\n"
        "x, y = _blobs(200)\n"
        "r = fit(check_targets(x, y), FitConfig(arch='dense(32)x2,groupsum(2)', epochs=3, batch_size=32, patience=9))\n"
        "np.save(sys.argv[1], np.concatenate([l.logits.ravel() for l in r.net.layers]))\n"
        "print(len(jax.local_devices()))\n" % os.path.dirname(__file__))
    got = {}
    for n in (1, 2):
        env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={n}", JAX_PLATFORMS="cpu")
        out = tmp_path / f"{n}.npy"
        proc = subprocess.run([sys.executable, "-c", script, str(out)], env=env, capture_output=True, text=True,
                              timeout=300, cwd=tmp_path)      # not the source tree, which would shadow the package
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == str(n)
        got[n] = np.load(out)
    np.testing.assert_allclose(got[2], got[1], rtol=1e-3, atol=1e-3)


_HOST_SCRIPT = """
import sys, numpy as np, jax
port, pid, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
jax.distributed.initialize(f"localhost:{port}", num_processes=2, process_id=pid)
sys.path.insert(0, %r)
from test_train_data import _blobs
from gatecc.train.data import check_targets
from gatecc.train.fit import fit, FitConfig
x, y = _blobs(200)
r = fit(check_targets(x, y), FitConfig(arch='dense(32)x2,groupsum(2)', epochs=3, batch_size=32, patience=9),
        checkpoint=out + '.ckpt')
np.save(out, np.concatenate([l.logits.ravel() for l in r.net.layers]))
print(jax.process_count(), len(jax.devices()), len(jax.local_devices()))
"""


def test_two_hosts_match_one(tmp_path):
    """A multi-host run (2 processes, jax.distributed, 1 CPU device each) trains the one-host model."""
    import socket

    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=1", JAX_PLATFORMS="cpu")
    script = _HOST_SCRIPT % os.path.dirname(__file__)
    procs = [subprocess.Popen([sys.executable, "-c", script, str(port), str(pid), str(tmp_path / f"h{pid}.npy")],
                              env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for pid in (0, 1)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
        assert out.strip().splitlines()[-1] == "2 2 1"            # 2 processes, 2 global devices, 1 local each
    h0, h1 = np.load(tmp_path / "h0.npy"), np.load(tmp_path / "h1.npy")
    np.testing.assert_array_equal(h0, h1)                          # every host ends with the same model
    assert (tmp_path / "h0.npy.ckpt").exists() and not (tmp_path / "h1.npy.ckpt").exists()   # one writer
    x, y = _blobs(200)
    one = fit(check_targets(x, y), FitConfig(arch="dense(32)x2,groupsum(2)", epochs=3, batch_size=32, patience=9))
    np.testing.assert_allclose(h0, np.concatenate([l.logits.ravel() for l in one.net.layers]), rtol=1e-3, atol=1e-3)


def test_arch_spec():
    arch = parse_arch("dense(40)x2, dense(30,wiring=learnable,candidates=8), groupsum(10,tau=20)")
    assert [d.width for d in arch.layers] == [40, 40, 30] and arch.layers[2].candidates == 8
    assert parse_arch(arch.spec()) == arch
    for bad, needle in [("conv(16,rf=x,depth=3,pad=1),dense(10)", "rf must be an integer"),
                        ("dense(4),orpool(2)", "must come before the dense"), ("dense(0)", "positive integer"),
                        ("dense(8,wiring=magic)", "unknown wiring"), ("groupsum(2),dense(4)", "last"),
                        ("dense(8", "cannot parse")]:
        with pytest.raises(ArchError, match=needle):
            parse_arch(bad)


def _write_csv(path, rows, header="a,b,y"):
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def test_cli_trains_a_csv_with_string_labels(tmp_path, cli):
    x, y = _blobs(150)
    names = np.array(["no", "yes"])[y]
    _write_csv(tmp_path / "t.csv", [f"{r[0]:.4f},{r[1]:.4f},{r[2]:.4f},{n}" for r, n in zip(x, names)],
               header="a,b,c,kind")
    res = cli("train", "t.csv", "--label", "kind", "--arch", "dense(32)x2,groupsum(2)", "--epochs", "5",
              "--quiet", "--plot", "curves.png")
    assert res.returncode == 0, res.stderr
    assert "hard test accuracy" in res.stdout and "saved t.gatecc.npz" in res.stdout
    net = gatecc.load(tmp_path / "t.gatecc.npz")
    assert net.meta["classes"].tolist() == ["no", "yes"] and net.encoder.n_features == 3
    assert (tmp_path / "curves.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("rows, args, needle", [
    (["1,2,0", "3,4"], ["--label", "y"], "line 3 has 2 fields"),
    (["1,x,0", "3,4,1"], ["--label", "y"], "'x' is not a number"),
    (["1,nan,0", "3,4,1", "1,1,0", "2,2,1"], ["--label", "y"], "NaN"),
    (["1,inf,0", "3,4,1", "1,1,0", "2,2,1"], ["--label", "y"], "infinite"),
    (["1,2,0", "3,4,0", "1,1,0", "2,2,0"], ["--label", "y"], "only one class"),
    (["1,2,0", "3,4,1", "1,1,0"], ["--label", "y"], "too few for a test split"),
    (["1,2,0", "3,4,1"], ["--label", "target"], "no column 'target'"),
    (["1,2,0", "3,4,1"], [], "--label"),
    ([f"{i},{i % 3},{i % 2}" for i in range(20)], ["--label", "y", "--arch", "conv(8,rf=3),dense(8),groupsum(2)"],
     "need image inputs"),
])
def test_cli_bad_csv(tmp_path, cli, rows, args, needle):
    _write_csv(tmp_path / "d.csv", rows)
    assert_one_line_error(cli("train", "d.csv", *args, "--quiet", "--test-split", "0.5"
                              if "too few" in needle else "0.34"), needle)


@pytest.mark.parametrize("arrays, needle", [
    ({"x": np.ones((6, 2)), "y": np.array([0, 1, -1, 0, 1, 0])}, "out of range"),
    ({"x": np.ones((6, 2)), "y": np.array([0, 1, 1, 0, 1, 0]), "x_test": np.ones((2, 2)),
      "y_test": np.array([0, 5])}, "out of range"),
    ({"x": np.ones((6, 2)), "y": np.array([0, 1.5, 1, 0, 1, 0])}, "whole numbers"),
    ({"x": np.ones((6, 2)), "y": np.array([0, 1, 1])}, "rows"),
    ({"y": np.array([0, 1])}, "no array 'x'"),
])
def test_cli_bad_npz(tmp_path, cli, arrays, needle):
    np.savez(tmp_path / "d.npz", **arrays)
    assert_one_line_error(cli("train", "d.npz", "--quiet"), needle)


def test_validation_needs_rows():
    with pytest.raises(gatecc.InputError, match="too few for a validation split"):
        gatecc.train(np.ones((2, 2)), np.array([0, 1]))


def test_learnable_wiring_trains_and_compiles_its_argmax():
    x, y = _blobs(300)
    net = gatecc.train(x[:200], y[:200], arch="dense(64,wiring=learnable,candidates=4)x2,groupsum(2)", epochs=20,
                       bits_per_feature=6)
    assert "wiring=learnable" in str(net.meta["arch"])
    ref = gatecc.soft_eval(net, x[200:], hard=True)
    assert float(np.mean(np.argmax(ref, axis=1) == y[200:])) >= 0.9
    counts = gatecc.compile(net, target="c")(x[200:])
    np.testing.assert_array_equal(counts.astype(np.float32) / np.float32(net.groupsum.tau), ref)


def test_lower_c_includes_the_encoder(tiny_net, tmp_path, cli):
    net = tiny_net[0]
    net.save(tmp_path / "m.npz")
    res = cli("lower", "m.npz", "--target", "c")
    assert res.returncode == 0, res.stderr
    assert "void gatecc_encode(const float *x" in res.stdout
    assert f"#define GATECC_NB {net.encoder.n_bits}" in res.stdout


def _check_one_module(target: str, text: str) -> None:
    """``text`` builds as one C file / LLVM module / WGSL module with the net's and the encoder's entry points."""
    if target == "c":
        from gatecc.backends.cbuild import build_library

        assert build_library(text).exists()
    elif target == "llvm":
        import llvmlite.binding as llvm

        module = llvm.parse_assembly(text)
        module.verify()
        assert module.get_function("gatecc_encode") and module.get_function("gatecc_eval")
    else:
        from gatecc.backends.wgpu_runtime import default_gpu

        device = default_gpu().device
        module = device.create_shader_module(code=text)
        for entry in ("chunk0", "gatecc_encode"):
            device.create_compute_pipeline(layout="auto", compute={"module": module, "entry_point": entry})


@pytest.mark.parametrize("target", [t for t in runnable_targets() if t.values[0] in ("c", "llvm", "wgsl")])
def test_lower_prints_the_encoder_the_runtime_builds(tiny_net, tmp_path, cli, target):
    """`gatecc lower` of a net with an encoder = the net's source + the float entry point compile() builds."""
    net = tiny_net[0]
    net.save(tmp_path / "m.npz")
    res = cli("lower", "m.npz", "--target", target)
    assert res.returncode == 0, res.stderr
    fast = gatecc.compile(net, target=target)
    assert res.stdout == fast.source + "\n" + fast.float_entry.source
    t = net.encoder.threshold
    literal = {"c": f"{float(t[0]).hex()}f", "llvm": "float 0x", "wgsl": f"0x{int(t[:1].view('<u4')[0]):08x}u"}
    assert literal[target] in fast.float_entry.source           # the thresholds are constants of the text
    _check_one_module(target, res.stdout)
    xr = np.random.default_rng(3).normal(0, 2, (130, 3))
    np.testing.assert_array_equal(fast.float_entry.planes(xr), pack_bits(net.encoder.encode(xr)))
