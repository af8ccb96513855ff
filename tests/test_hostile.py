"""Hostile files (issue 20): every reproducer fails with exit status 2 and one stderr line, fast, in 2 GB.

Each file is built here (tests/hostile_files.py) and fed to ``gatecc lower``,
``stats``, ``run`` and ``verify`` in a subprocess whose address space is
capped at 2 GB (RLIMIT_AS), so an unbounded allocation shows up as a crash, not as swap.
"""

import os
import subprocess
import sys

import pytest

import hostile_files as H
from conftest import CliResult, assert_one_line_error
from gatecc.errors import ModelError
from gatecc.load import load

ADDRESS_SPACE = 2 << 30
SECONDS = 60  # "within seconds": a generous wall-clock cap for a loaded 2-core machine


#: Sets the limit in the child itself, then becomes gatecc: no preexec_fn, which is unsafe in a
#: process that already runs threads (JAX's, once another test imported it).
_LIMITED = ("import os, resource, sys; resource.setrlimit(resource.RLIMIT_AS, ({0}, {0})); "
            "os.execv(sys.executable, [sys.executable, '-m', 'gatecc'] + sys.argv[1:])").format(ADDRESS_SPACE)


def run_limited(*args, cwd) -> CliResult:
    """``gatecc ARGS`` under the 2 GB address-space limit."""
    proc = subprocess.run([sys.executable, "-c", _LIMITED, *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=SECONDS)
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def test_the_address_space_limit_is_in_force(tmp_path):
    # The limit must bite, or the tests below prove nothing about memory.
    code = _LIMITED.replace("os.execv(sys.executable, [sys.executable, '-m', 'gatecc'] + sys.argv[1:])",
                            "bytearray(3 << 30)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=SECONDS)
    assert proc.returncode != 0 and "MemoryError" in proc.stderr


def _difflogic(tmp_path):
    state, wiring = H.difflogic_pair(10**9)
    (tmp_path / "dl.wiring.npz").write_bytes(wiring)
    return "dl.npz", state, "difflogic"


#: case -> (file name, bytes, --from format or None, words the error line must contain)
CASES = {
    "npy-header-bit-flip": ("m.npz", H.bad_npy_header, None, ["layer0/a.npy", ".npy header"]),
    "member-without-npy-magic": ("m.npz", H.no_npy_magic, None, ["format.npy", "NUMPY magic"]),
    "zip-method-unsupported": ("m.npz", H.bad_zip_method, None, ["compression method 99"]),
    "jax-zip-flag-bit5": ("j.npz", lambda: H.bad_zip_method(True, H.jax_pytree()), "jax", ["flag bit 5"]),
    "huge-declared-shape": ("m.npz", H.huge_shape, None, ["layer0/a.npy", "1000000000000"]),
    "36-dims-of-2": ("m.npz", lambda: H.huge_shape((2,) * 36), None, ["layer0/a.npy", "shape"]),
    "zip-bomb-3GiB": ("m.npz", H.zip_bomb, None, ["layer0/logits.npy", "GATECC_MAX_RATIO"]),
    "gir-inputs-1e9": ("m.gir", H.gir_huge_inputs, None, ["1000000000 inputs"]),
    "jax-n_inputs-1e9": ("j.npz", lambda: H.jax_pytree(n_inputs=10**9), "jax", ["1000000000 inputs"]),
    "difflogic-in_dim-1e9": None,  # two files, built by _difflogic
    "aiger-M-not-I+L+A": ("m.aig", H.aiger_bad_m, None, ["M=1000000000000", "I + L + A"]),
    "aiger-counts-beyond-file": ("m.aig", H.aiger_counts_beyond_file, None, ["1000000000 ANDs"]),
    "fifo-without-writer": None,  # made with os.mkfifo
    "pickle-BINBYTES8-1TiB": ("m.pt", H.pickle_huge_bytes, None, ["m.pt", "torch.save"]),
}
COMMANDS = ("lower", "stats", "run", "verify")


def _materialise(case, tmp_path):
    if case == "fifo-without-writer":
        os.mkfifo(tmp_path / "m.npz")
        return "m.npz", None, ["not a regular file"]
    if case == "difflogic-in_dim-1e9":
        name, data, fmt = _difflogic(tmp_path)
        needles = ["1000000000 inputs"]
    else:
        name, make, fmt, needles = CASES[case]
        data = make()
    (tmp_path / name).write_bytes(data)
    return name, fmt, needles


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", list(CASES))
def test_hostile_file_one_line_exit_2(case, command, tmp_path):
    name, fmt, needles = _materialise(case, tmp_path)
    H.small_net().save(tmp_path / "good.npz")
    if command == "verify":
        args = ["verify", name, "good.npz"] + (["--from-a", fmt] if fmt else [])
    else:
        args = [command, name] + (["--from", fmt] if fmt else [])
    result = run_limited(*args, cwd=tmp_path)
    assert_one_line_error(result, name, *needles)


def test_lying_zip_header_is_caught_by_crc(tmp_path):
    # The member claims 1 KiB but inflates to 3 GiB: zipfile stops at the declared size and the CRC fails.
    path = tmp_path / "m.npz"
    path.write_bytes(H.lying_bomb())
    with pytest.raises(ModelError, match="layer0/logits.npy"):
        load(path)


def test_size_limits_are_overridable(tmp_path, monkeypatch):
    path = tmp_path / "m.gir"
    path.write_bytes(H.gir_huge_inputs(2_000_000))
    with pytest.raises(ModelError, match="GATECC_MAX_INPUTS"):
        load(path)
    monkeypatch.setenv("GATECC_MAX_INPUTS", "3000000")
    graph = load(path)
    assert graph.n_inputs == 2_000_000
    monkeypatch.setenv("GATECC_MAX_INPUTS", "lots")
    with pytest.raises(ModelError, match="GATECC_MAX_INPUTS"):
        load(path)


def test_ratio_and_absolute_inflation_limits(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    path.write_bytes(H.zip_bomb(64 << 20))  # 64 MiB from 64 KiB: over the ratio, under the absolute cap
    with pytest.raises(ModelError, match="GATECC_MAX_RATIO"):
        load(path)
    monkeypatch.setenv("GATECC_MAX_RATIO", "2000")
    with pytest.raises(ModelError, match=r"layer0/logits: shape \(1048576, 16\)"):
        load(path)  # inflated within the limits, then its shape is checked against the net
    monkeypatch.setenv("GATECC_MAX_MODEL_BYTES", str(32 << 20))
    with pytest.raises(ModelError, match="GATECC_MAX_MODEL_BYTES"):
        load(path)


def test_file_over_the_byte_limit_is_refused_unread(tmp_path, monkeypatch):
    path = tmp_path / "m.blif"
    path.write_bytes(b"#" * 5000)
    monkeypatch.setenv("GATECC_MAX_MODEL_BYTES", "4096")
    with pytest.raises(ModelError, match="over the 4096-byte limit"):
        load(path)


@pytest.mark.parametrize("fmt", ["npz", "jax", "torch", "aiger", "blif", "ir"])
def test_special_files_never_block(fmt, tmp_path):
    with pytest.raises(ModelError, match="not a regular file"):
        load("/dev/zero", fmt)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ModelError, match="not a regular file"):
        load(fifo, fmt)


def test_pickle_memo_index_is_not_an_allocation(tmp_path):
    path = tmp_path / "m.pt"
    path.write_bytes(H.pickle_huge_memo())
    result = run_limited("stats", path, cwd=tmp_path)
    assert_one_line_error(result, "m.pt")
