"""--target c-embedded: freestanding C99 that builds with -pedantic -Werror for the host, aarch64 and
armhf (run under qemu-user) and Cortex-M4, and computes what the soft model / reference evaluator do."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gatecc
from conftest import assert_one_line_error
from gatecc.ir.evaluate import all_inputs, evaluate_samples

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
STRICT = ["-std=c99", "-pedantic", "-Wall", "-Werror", "-Os"]

# A test program (hosted: it may use stdio) around the generated, freestanding model.
HARNESS = r"""
#include <stdio.h>
#include <stdlib.h>
#include "model.h"

int main(void)
{
    static uint8_t buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, stdin) / GATECC_N_INPUTS, r, i, k, b;
    size_t words = (n + GATECC_WORD_BITS - 1) / GATECC_WORD_BITS;
    gatecc_word_t *in = calloc(GATECC_N_INPUTS * words + 1, sizeof *in);
    gatecc_word_t *out = calloc(GATECC_N_PLANES * words + 1, sizeof *out);
    int32_t y[GATECC_N_OUTPUTS];
    for (r = 0; r < n; ++r) {
        gatecc_eval1(buf + r * GATECC_N_INPUTS, y);
        for (k = 0; k < GATECC_N_OUTPUTS; ++k) printf("%ld ", (long)y[k]);
        printf("\n");
        for (i = 0; i < GATECC_N_INPUTS; ++i)
            in[i * words + r / GATECC_WORD_BITS] |= (gatecc_word_t)buf[r * GATECC_N_INPUTS + i] << (r % GATECC_WORD_BITS);
    }
    gatecc_eval_batch(in, out, words);
    printf("batch\n");
    for (r = 0; r < n; ++r) {
        for (k = 0; k < GATECC_N_OUTPUTS; ++k) {
            long v = 0;
            for (b = 0; b < gatecc_out_width[k]; ++b)
                v |= (long)((out[(gatecc_out_start[k] + b) * words + r / GATECC_WORD_BITS] >> (r % GATECC_WORD_BITS)) & 1u) << b;
            printf("%ld ", v);
        }
        printf("\n");
    }
    return 0;
}
"""

# (label, compiler, extra flags, runner prefix)
PLATFORMS = [
    ("host", "gcc", [], []),
    ("aarch64", "aarch64-linux-gnu-gcc", ["-static"], ["qemu-aarch64"]),
    ("armhf", "arm-linux-gnueabihf-gcc", ["-static"], ["qemu-arm"]),
]


def need(tool):
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is not installed: run scripts/setup.sh --test (Debian packages gcc-aarch64-linux-gnu, "
                    f"gcc-arm-linux-gnueabihf, qemu-user, gcc-arm-none-eabi)")


def emit(tmp_path, model, head=None, level=2):
    out = tmp_path / "model.c"
    args = ["lower", model, "--target", "c-embedded", f"-O{level}", "-o", out] + (["--head", head] if head else [])
    # cwd: from the repository root, ./gatecc (the source tree) would shadow the installed package.
    res = subprocess.run([sys.executable, "-m", "gatecc", *map(str, args)], capture_output=True, text=True,
                         cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    return out


def build_and_run(tmp_path, cc, flags, runner, x, word_bits=32):
    need(cc)
    for tool in runner:
        need(tool)
    (tmp_path / "main.c").write_text(HARNESS)
    exe = tmp_path / f"model-{cc}-{word_bits}"
    cmd = [cc, *STRICT, *flags, f"-DGATECC_WORD_BITS={word_bits}", "-I", str(tmp_path),
           str(tmp_path / "model.c"), str(tmp_path / "main.c"), "-o", str(exe)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    res = subprocess.run([*runner, str(exe)], input=np.asarray(x, np.uint8).tobytes(), capture_output=True, timeout=300)
    assert res.returncode == 0, res.stderr
    single, batch = res.stdout.decode().split("batch\n")
    parse = lambda text: np.array([[int(v) for v in line.split()] for line in text.strip().splitlines()])  # noqa: E731
    return parse(single), parse(batch)


def small_classifier(path, n_inputs=12, k=5, width=60, seed=0):
    """A fixed random GroupSum net with integer logits (many count ties), saved to ``path``."""
    from gatecc.model import GroupSum, Layer, LogicNet

    rng = np.random.default_rng(seed)
    layers, prev = [], n_inputs
    for w in (width, width):
        layers.append(Layer(rng.integers(0, prev, w), rng.integers(0, prev, w),
                            logits=rng.integers(0, 3, (w, 16)).astype(np.float32)))
        prev = w
    LogicNet(n_inputs, layers, GroupSum(k, 3.0)).save(path)
    return path


# name -> (model, head, word sizes); the digits net is big, so it is built once per platform.
CASES = {
    "small-argmax": ("small", "argmax", (32, 64)),
    "small-counts": ("small", None, (32, 64)),
    "small-threshold": ("small", "threshold:9", (32, 64)),
    "life-bits": ("life.npz", None, (32, 64)),
    "digits-argmax": ("digits.npz", "argmax", (32,)),
}


@pytest.mark.parametrize("label, cc, flags, runner", PLATFORMS, ids=[p[0] for p in PLATFORMS])
@pytest.mark.parametrize("case", list(CASES))
def test_embedded_c_matches_the_soft_model(tmp_path, label, cc, flags, runner, case):
    name, head, word_sizes = CASES[case]
    path = small_classifier(tmp_path / "small.npz") if name == "small" else EXAMPLES / name
    net = gatecc.load(path)
    emit(tmp_path, path, head)
    rng = np.random.default_rng(0)
    x = all_inputs(net.n_inputs) if net.n_inputs <= 12 else rng.integers(0, 2, (200, net.n_inputs)).astype(np.uint8)
    soft = np.asarray(gatecc.soft_eval(net, x, hard=True), np.float64)
    if net.groupsum is None:
        expected = soft.astype(np.int64)
    else:
        counts = np.rint(soft * net.groupsum.tau).astype(np.int64)
        expected = (counts.argmax(axis=1)[:, None] if head == "argmax"
                    else (counts > 9).astype(np.int64) if head else counts)
    if head == "argmax":
        assert len(np.unique(expected)) > 1       # more than one class really occurs
    for word_bits in word_sizes:
        single, batch = build_and_run(tmp_path, cc, flags, runner, x, word_bits)
        np.testing.assert_array_equal(single, expected)
        np.testing.assert_array_equal(batch, expected)


def test_generated_code_includes_only_stdint_and_stddef(tmp_path):
    out = emit(tmp_path, small_classifier(tmp_path / "small.npz"), "argmax")
    for path in (out, out.with_suffix(".h")):
        text = path.read_text()
        assert sorted(set(re.findall(r"#include\s*(\S+)", text))) == ["<stddef.h>", "<stdint.h>"]
        assert "__attribute__" not in text and "vector_size" not in text and "malloc" not in text
    header = out.with_suffix(".h").read_text()
    assert "void gatecc_eval1(const uint8_t *in, int32_t *out);" in header
    assert "gatecc_eval1_f" not in header          # the model has no input encoder


def test_cortex_m4_build_links_without_any_library(tmp_path):
    need("arm-none-eabi-gcc")
    emit(tmp_path, small_classifier(tmp_path / "small.npz"), "argmax")
    elf = tmp_path / "model.elf"
    cmd = ["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-Os", "-ffreestanding", *STRICT[:4],
           "-nostdlib", "-Wl,--entry=gatecc_eval1", str(tmp_path / "model.c"), "-lgcc", "-o", str(elf)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr                  # no libc symbol (memcpy, malloc...) is needed
    from gatecc.backends.c_embedded import footprint

    size = footprint((tmp_path / "model.c").read_text(), "arm-none-eabi-gcc", ("-mcpu=cortex-m4", "-mthumb"))
    assert size["code"] > 200 and 0 < size["ram"] < 64 * 1024


def test_stats_reports_code_and_ram_bytes(cli):
    res = cli("stats", EXAMPLES / "life.npz", "--target", "c-embedded", "-O3", "--json")
    assert res.returncode == 0, res.stderr
    import json

    data = json.loads(res.stdout)
    host = data["c-embedded"]["host"]
    assert host["code"] > 0 and host["ram"] >= host["stack"] > 0
    res = cli("stats", EXAMPLES / "life.npz", "--target", "c-embedded")
    assert res.returncode == 0 and "code bytes" in res.stdout and "ram bytes" in res.stdout


def test_stats_target_without_a_size_model_is_an_error(cli):
    assert_one_line_error(cli("stats", EXAMPLES / "life.npz", "--target", "verilog"), "c-embedded")


def test_lower_to_stdout_is_an_error(cli):
    assert_one_line_error(cli("lower", EXAMPLES / "life.npz", "--target", "c-embedded"), "-o OUT.c")


def test_emission_is_deterministic(tmp_path):
    small = small_classifier(tmp_path / "small.npz")
    a = emit(tmp_path, small, "argmax").read_text()
    b = emit(tmp_path, small, "argmax").read_text()
    assert a == b


def test_reference_evaluator_agrees_on_a_raw_graph(tmp_path):
    # -O0 keeps wires, constants and NOTs that the optimised graphs never have.
    net = gatecc.load(EXAMPLES / "life.npz")
    emit(tmp_path, EXAMPLES / "life.npz", level=0)
    x = all_inputs(9)
    single, batch = build_and_run(tmp_path, "gcc", [], [], x)
    from gatecc.lower import lower

    np.testing.assert_array_equal(single, evaluate_samples(lower(net), x))


# Reads rows of float32 features from stdin, writes gatecc_eval1_f's outputs.
FLOAT_HARNESS = r"""
#include <stdio.h>
#include "model.h"

int main(void)
{
    float row[N_FEATURES];
    int32_t y[GATECC_N_OUTPUTS];
    size_t k;
    while (fread(row, sizeof(float), N_FEATURES, stdin) == N_FEATURES) {
        gatecc_eval1_f(row, y);
        for (k = 0; k < GATECC_N_OUTPUTS; ++k) printf("%ld ", (long)y[k]);
        printf("\n");
    }
    return 0;
}
"""


@pytest.mark.parametrize("label, cc, flags, runner", PLATFORMS[:2], ids=[p[0] for p in PLATFORMS[:2]])
def test_float_entry_point_applies_the_input_encoder(tmp_path, label, cc, flags, runner):
    """A model with an input encoder gets gatecc_eval1_f: raw floats in, the soft model's hard classes out."""
    from gatecc.encoder import fit_encoder
    from gatecc.model import GroupSum, Layer, LogicNet

    need(cc)
    for tool in runner:
        need(tool)
    rng = np.random.default_rng(3)
    train = rng.normal(size=(400, 5)).astype(np.float32)
    encoder = fit_encoder(train, "quantile", 3)
    layers, prev = [], encoder.n_bits
    for w in (40, 40):
        layers.append(Layer(rng.integers(0, prev, w), rng.integers(0, prev, w),
                            logits=rng.normal(size=(w, 16)).astype(np.float32)))
        prev = w
    net = LogicNet(encoder.n_bits, layers, GroupSum(4, 2.0), encoder=encoder)
    net.save(tmp_path / "enc.npz")
    out = emit(tmp_path, tmp_path / "enc.npz", head="argmax")
    assert "gatecc_eval1_f" in (tmp_path / "model.h").read_text()
    # Test rows: fresh samples plus values exactly on the thresholds (a strict > must say 0 there).
    x = np.concatenate([rng.normal(size=(300, 5)), np.zeros((5, 5))]).astype(np.float32)
    for f in range(5):
        x[-1 - f, f] = encoder.threshold[encoder.feature == f][0]
    (tmp_path / "main.c").write_text(FLOAT_HARNESS)
    exe = tmp_path / f"float-{label}"
    subprocess.run([cc, *STRICT, *flags, "-DN_FEATURES=5", "-I", tmp_path, out, tmp_path / "main.c", "-o", exe],
                   check=True, capture_output=True)
    res = subprocess.run([*runner, str(exe)], input=x.tobytes(), capture_output=True, check=True)
    got = np.array([[int(v) for v in line.split()] for line in res.stdout.decode().splitlines()])
    want = np.asarray(gatecc.soft_eval(net, x, hard=True)).argmax(axis=1)
    assert (got[:, 0] == want).all()
