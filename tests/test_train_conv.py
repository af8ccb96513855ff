"""Conv architectures in the trainer: spec, image encoder, gatecc.convsoft's forward, compile and save."""

import numpy as np
import pytest

import gatecc
from backend_support import runnable_targets
from gatecc.encoder import fit_image_encoder
from gatecc.ir.planes import pack_bits
from gatecc.ir.spatial.evaluate import evaluate_program
from gatecc.train.arch import ArchError, parse_arch
from gatecc.train.data import DataError, check_targets
from gatecc.train.fit import FitConfig, fit

ARCH = "conv(4,rf=3,depth=2,pad=1),orpool(2),dense(40),groupsum(2,tau=3)"


def _bars(n=240, size=6, seed=0):
    """(n, 1, size, size) noisy grey images: class 1 has a vertical bar, class 0 a horizontal one."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 0.4, (n, 1, size, size))
    y = rng.integers(0, 2, n)
    at = rng.integers(0, size, n)
    for i in range(n):
        if y[i]:
            x[i, 0, :, at[i]] += 0.6
        else:
            x[i, 0, at[i], :] += 0.6
    return x, y


@pytest.fixture(scope="module")
def trained():
    x, y = _bars(300)
    result = fit(check_targets(x[:240], y[:240], x[240:], y[240:]),
                 FitConfig(arch=ARCH, epochs=25, seed=2, bits_per_feature=3, encode="uniform", patience=25))
    return result, x[240:], y[240:]


def test_conv_spec_round_trips_and_rejects_misplaced_items():
    arch = parse_arch("conv(16,rf=3,depth=3,pad=1),orpool(2),dense(4000)x2,groupsum(10,tau=20)")
    assert [c.kind for c in arch.convs] == ["conv", "orpool"] and arch.convs[0].depth == 3
    assert parse_arch(arch.spec()) == arch
    with pytest.raises(ArchError, match="must come before the dense"):
        parse_arch("dense(10),conv(4),groupsum(2)")
    with pytest.raises(ArchError, match="depth must be an integer"):
        parse_arch("conv(4,depth=x),dense(10),groupsum(2)")
    with pytest.raises(ArchError, match="need image inputs"):
        fit(check_targets(np.random.default_rng(0).random((40, 5)), np.arange(40) % 2), FitConfig(arch=ARCH))
    with pytest.raises(DataError, match="x_test: images of shape"):
        check_targets(np.zeros((4, 1, 6, 6)), [0, 1, 0, 1], np.zeros((2, 1, 5, 5)), [0, 1])


def test_image_encoder_is_channel_major_planes():
    x = np.random.default_rng(1).random((20, 2, 3, 4)).astype(np.float32)
    enc, planes = fit_image_encoder(x.reshape(20, -1), (2, 3, 4), "uniform", 2)
    bits = enc.encode(x.reshape(20, -1)).reshape(20, planes, 3, 4)
    assert planes == 4
    t = enc.threshold.reshape(planes, 12)[:, 0]
    for j, (c, tj) in enumerate(zip([0, 0, 1, 1], t)):
        np.testing.assert_array_equal(bits[:, j], (x[:, c] > tj).astype(np.uint8))


def test_tiny_image_task_trains_and_saved_net_is_the_trainers_forward(trained):
    result, x, y = trained
    net = result.net
    assert type(net).__name__ == "ConvNet" and net.encoder is not None
    assert result.test_accuracy >= 0.9, result.test_accuracy
    hard = gatecc.soft_eval(net, x.reshape(len(x), -1), hard=True)
    assert float(np.mean(np.argmax(hard, 1) == y)) == pytest.approx(result.test_accuracy)
    # The trainer's scores (gatecc.convsoft via conv_scores) on the best parameters == soft_eval of the saved net.
    from gatecc.convsoft import conv_params
    from gatecc.train.convnets import conv_scores

    bits = net.encoder.encode(x.reshape(len(x), -1)).astype(np.float32)
    scores = conv_scores(net)
    for mode in (False, True):
        ours = np.asarray(scores(conv_params(net), bits.T, mode)).T
        np.testing.assert_allclose(ours, gatecc.soft_eval(net, x.reshape(len(x), -1), hard=mode), rtol=1e-5, atol=1e-5)


def test_compiled_conv_net_is_the_soft_models_hard_outputs(trained):
    """The trained net's hard program, by the reference evaluator and compiled (unrolled), == soft hard outputs."""
    from gatecc.ir.spatial.unroll import unroll

    result, x, _ = trained
    net = result.net
    flat = x.reshape(len(x), -1)
    bits = net.encoder.encode(flat)
    expected = gatecc.soft_eval(net, flat, hard=True)
    tau = np.float32(net.groupsum.tau)
    np.testing.assert_array_equal(evaluate_program(net.to_program(), bits).astype(np.float32) / tau, expected)
    np.testing.assert_array_equal(gatecc.compile(unroll(net.to_program()), target="c").run_bits(bits)
                                  .astype(np.float32) / tau, expected)


@pytest.mark.parametrize("target", [t for t in runnable_targets() if t.values[0] in ("c", "llvm", "wgsl")])
def test_compiled_conv_net_on_raw_floats_is_soft_eval(trained, target):
    """compile(conv_net)(x_float): the encoder in generated code, then the conv circuit == soft_eval hard."""
    result, x, _ = trained
    net = result.net
    flat = x.reshape(len(x), -1)
    t = net.encoder.threshold
    flat[: min(len(flat), t.size // flat.shape[1] + 1)] = np.resize(t, (min(len(flat), t.size // flat.shape[1] + 1),
                                                                         flat.shape[1]))   # values on the thresholds
    fast = gatecc.compile(net, target=target)
    counts = fast(flat)
    np.testing.assert_array_equal(counts.astype(np.float32) / np.float32(net.groupsum.tau),
                                  gatecc.soft_eval(net, flat, hard=True))
    np.testing.assert_array_equal(fast.run_bits(net.encoder.encode(flat)), counts)


def test_conv_net_with_encoder_survives_save_and_load(trained, tmp_path):
    result, x, _ = trained
    result.net.save(tmp_path / "conv.npz")
    back = gatecc.load(tmp_path / "conv.npz")
    np.testing.assert_array_equal(back.encoder.threshold, result.net.encoder.threshold)
    np.testing.assert_array_equal(back.encoder.feature, result.net.encoder.feature)
    assert str(back.meta["arch"]) == result.net.meta["arch"]
    flat = x.reshape(len(x), -1)
    np.testing.assert_array_equal(gatecc.soft_eval(back, flat, hard=True), gatecc.soft_eval(result.net, flat, hard=True))


def test_gatecc_train_takes_images():
    x, y = _bars(120, seed=3)
    net = gatecc.train(x, y, arch=ARCH, epochs=2)
    assert tuple(net.meta["image"]) == (1, 6, 6)
    assert gatecc.soft_eval(net, x.reshape(120, -1), hard=True).shape == (120, 2)


def test_cli_trains_a_conv_net_on_images(tmp_path, cli):
    x, y = _bars(100, seed=4)
    np.savez(tmp_path / "img.npz", x=x, y=y)
    res = cli("train", "img.npz", "--arch", ARCH, "--epochs", "2", "--quiet", "-o", "m.npz")
    assert res.returncode == 0, res.stderr
    net = gatecc.load(tmp_path / "m.npz")
    assert net.encoder is not None and tuple(net.meta["image"]) == (1, 6, 6)
    np.savez(tmp_path / "flat.npz", x=x.reshape(100, -1), y=y)
    from conftest import assert_one_line_error

    assert_one_line_error(cli("train", "flat.npz", "--arch", ARCH, "--quiet"), "need image inputs")


def _one_module(target: str, text: str, net_entry: str) -> None:
    """``text`` builds as one C file / LLVM module / WGSL module holding the net's entry and ``gatecc_encode``."""
    if target == "c":
        from gatecc.backends.cbuild import build_library

        assert build_library(text).exists()
    elif target == "llvm":
        import llvmlite.binding as llvm

        module = llvm.parse_assembly(text)
        module.verify()
        assert module.get_function("gatecc_encode") and module.get_function(net_entry)
    else:
        from gatecc.backends.wgpu_runtime import default_gpu

        device = default_gpu().device
        module = device.create_shader_module(code=text)
        device.create_compute_pipeline(layout="auto", compute={"module": module, "entry_point": "gatecc_encode"})


@pytest.mark.parametrize("target", [t for t in runnable_targets() if t.values[0] in ("c", "llvm", "wgsl")])
def test_lower_of_a_conv_net_appends_the_encoder_compile_builds(trained, tmp_path, cli, target):
    """`gatecc lower` of a conv net (loop form) = the program's source + the float entry point compile() runs."""
    result, x, _ = trained
    result.net.save(tmp_path / "conv.npz")
    res = cli("lower", "conv.npz", "--target", target)
    assert res.returncode == 0, res.stderr
    fast = gatecc.compile(result.net, target=target)
    assert fast.float_entry is not None
    assert res.stdout == fast.source + "\n" + fast.float_entry.source
    assert res.stderr == ""
    _one_module(target, res.stdout, "gatecc_eval")
    flat = x.reshape(len(x), -1)
    np.testing.assert_array_equal(fast.float_entry.planes(flat), pack_bits(result.net.encoder.encode(flat)))


def test_lower_unrolled_conv_net_appends_the_encoder(trained, tmp_path, cli):
    result, _, _ = trained
    result.net.save(tmp_path / "conv.npz")
    res = cli("lower", "conv.npz", "--target", "c", "--unroll")
    assert res.returncode == 0, res.stderr
    assert "void gatecc_encode(const float *x" in res.stdout
    assert f"#define GATECC_NB {result.net.encoder.n_bits}" in res.stdout


def _python_module(text: str):
    space = {}
    exec(text, space)                                   # noqa: S102  (our own generated code)
    return space


def _python_classes(space, graph_layout, rows) -> np.ndarray:
    """Run the python target's ``gatecc_eval(*gatecc_encode(rows))`` and decode its GroupSum counts."""
    planes, n = space["gatecc_encode"](rows)
    out = space["gatecc_eval"](planes, n)
    bits = np.array([[(p >> j) & 1 for p in out] for j in range(n)], dtype=np.int64).reshape(n, -1)
    return np.stack([bits[:, start:start + width] @ (1 << np.arange(width))
                     for _, start, width in graph_layout.outputs], axis=1)


def test_lower_python_of_a_conv_net_runs_on_raw_floats(trained, tmp_path, cli):
    """--target python appends gatecc_encode: the module, fed raw floats, returns soft_eval's hard counts."""
    from gatecc.backends import PlaneLayout
    from gatecc.compiler import lower_to_source

    result, x, _ = trained
    net = result.net
    result.net.save(tmp_path / "conv.npz")
    res = cli("lower", "conv.npz", "--target", "python", "-O1")
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""
    flat = x.reshape(len(x), -1)[:40].copy()
    t = net.encoder.threshold
    flat[0] = np.resize(t, flat.shape[1])              # values exactly on thresholds: '>' is strict
    flat[1] = np.nextafter(flat[0], np.float32(np.inf))
    layout = PlaneLayout.of(lower_to_source(net, "python", 1).graph)
    counts = _python_classes(_python_module(res.stdout), layout, flat.tolist())
    np.testing.assert_array_equal(counts.astype(np.float32) / np.float32(net.groupsum.tau),
                                  gatecc.soft_eval(net, flat, hard=True))


def test_python_encoder_rounds_to_float32_and_rejects_nan():
    from gatecc.backends.float_entry_python import emit_python_encoder
    from gatecc.encoder import ThermometerEncoder

    enc = ThermometerEncoder(2, np.array([0, 1, 1]), np.array([0.1, -2.0, 3.5], np.float32))
    space = _python_module(emit_python_encoder(enc))
    rows = [[0.1, 3.5], [0.1000000001, 1e300], [-1e300, -2.0], [float(np.float32(0.1)) + 1e-9, 0]]
    planes, n = space["gatecc_encode"](rows)
    got = np.array([[(p >> j) & 1 for p in planes] for j in range(n)])
    np.testing.assert_array_equal(got, enc.encode(np.array(rows)))
    with pytest.raises(ValueError, match="NaN"):
        space["gatecc_encode"]([[float("nan"), 0.0]])


@pytest.mark.parametrize("target", ["verilog", "blif", "aag"])
def test_lower_circuit_formats_say_the_encoder_is_left_out(trained, tmp_path, cli, target):
    """Targets without float comparisons write the circuit over bits and say so in one stderr line."""
    result, _, _ = trained
    result.net.save(tmp_path / "conv.npz")
    res = cli("lower", "conv.npz", "--target", target, "-O1")
    assert res.returncode == 0, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "without its input encoder" in lines[0], res.stderr
    assert f"{result.net.encoder.n_bits} encoded input bits" in lines[0]
    assert "gatecc_encode" not in res.stdout


def test_shifted_copies_move_every_plane_with_zero_fill():
    from gatecc.ir.spatial.program import MapShape
    from gatecc.train.augment import epoch_choice, shifted_copies

    rng = np.random.default_rng(0)
    maps = rng.integers(0, 2, (2, 4, 5, 3)).astype(np.float32)      # (planes, H, W, n)
    copies = shifted_copies(maps.reshape(40, 3), MapShape(2, (4, 5)), 1)
    assert copies.shape == (9, 40, 3)
    np.testing.assert_array_equal(copies[0], maps.reshape(40, 3))
    seen = set()
    for c in copies[1:]:
        c = c.reshape(2, 4, 5, 3)
        found = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                 if all(c[p, y, x, i] == (maps[p, y - dy, x - dx, i] if 0 <= y - dy < 4 and 0 <= x - dx < 5 else 0)
                        for p in range(2) for y in range(4) for x in range(5) for i in range(3))]
        assert len(found) >= 1
        seen.add(found[0])
    assert len(seen) == 8 and (0, 0) not in seen
    pick = epoch_choice(9, 100, 3, 7)
    np.testing.assert_array_equal(pick, epoch_choice(9, 100, 3, 7))
    assert set(pick.tolist()) == set(range(9))


def test_shift_needs_a_conv_net_and_a_count(tmp_path, cli):
    from conftest import assert_one_line_error

    x, y = _bars(60, seed=5)
    np.savez(tmp_path / "img.npz", x=x, y=y)
    assert_one_line_error(cli("train", "img.npz", "--arch", "dense(20),groupsum(2)", "--shift", "1", "--quiet"),
                          "shift")
    assert_one_line_error(cli("train", "img.npz", "--arch", ARCH, "--shift", "-1", "--quiet"), "shift")


def test_shift_augmented_training_is_reproducible():
    x, y = _bars(120, seed=6)
    table = lambda: check_targets(x[:100], y[:100], x[100:], y[100:])   # noqa: E731
    config = FitConfig(arch=ARCH, epochs=3, seed=1, shift=1, patience=3)
    a, b = fit(table(), config), fit(table(), config)
    assert int(a.net.meta["shift"]) == 1
    for pa, pb in zip(a.history, b.history):
        assert pa == pb
    plain = fit(table(), FitConfig(arch=ARCH, epochs=3, seed=1, patience=3))
    assert [h["soft"] for h in plain.history] != [h["soft"] for h in a.history]   # the shifts change what it sees


LEARNABLE = "conv(4,rf=3,depth=2,pad=1),orpool(2),dense(40,wiring=learnable,candidates=3),groupsum(2,tau=3)"


def test_learnable_wiring_hard_forward_is_the_saved_argmax_net():
    """With random wiring logits, the trainer's hard forward == soft_eval of the net with the argmax wiring."""
    import jax

    from gatecc.ir.spatial.program import MapShape
    from gatecc.train.arch import resolve
    from gatecc.train.convnets import conv_scores, init_conv_trainer, trained_convnet, trainer_params

    arch = resolve(parse_arch(LEARNABLE), 2, None)
    net, wiring = init_conv_trainer(arch, MapShape(2, (6, 6)), np.random.default_rng(0), 1.0)
    assert wiring[0] is not None and wiring[0][0].shape == (40, 3)
    params = trainer_params(net, wiring)
    rng = np.random.default_rng(1)
    params = (params[0], tuple(tuple(rng.normal(0, 2, w.shape).astype(np.float32) for w in p) for p in params[1]))
    saved = trained_convnet(net, wiring, params)
    a = saved.stages[-1].net.layers[0].a
    assert (a != wiring[0][0][:, 0]).any()                 # the argmax moved off candidate 0
    bits = rng.integers(0, 2, (50, 72)).astype(np.float32)
    hard = np.asarray(jax.jit(lambda p, x: conv_scores(net, wiring)(p, x, True))(params, bits.T)).T
    np.testing.assert_allclose(hard, gatecc.soft_eval(saved, bits, hard=True), rtol=1e-6, atol=1e-6)
    soft = np.asarray(conv_scores(net, wiring)(params, bits.T, False)).T
    assert not np.allclose(soft, hard)                      # soft wiring mixes the candidates


def test_learnable_wiring_conv_net_trains_and_compiles_its_argmax(tmp_path):
    x, y = _bars(300, seed=7)
    result = fit(check_targets(x[:240], y[:240], x[240:], y[240:]),
                 FitConfig(arch=LEARNABLE, epochs=25, seed=2, bits_per_feature=3, encode="uniform", patience=25))
    net = result.net
    assert "wiring=learnable" in str(net.meta["arch"])
    assert result.test_accuracy >= 0.85, result.test_accuracy
    flat = x[240:].reshape(60, -1)
    ref = gatecc.soft_eval(net, flat, hard=True)
    counts = gatecc.compile(net, target="c")(flat)
    np.testing.assert_array_equal(counts.astype(np.float32) / np.float32(net.groupsum.tau), ref)
    net.save(tmp_path / "m.npz")
    np.testing.assert_array_equal(gatecc.soft_eval(gatecc.load(tmp_path / "m.npz"), flat, hard=True), ref)
