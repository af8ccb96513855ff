"""Model format v1: round trips, files written by a foreign program, and every bad input."""

import numpy as np
import pytest
from hypothesis import given, settings

import gatecc
from gatecc.ir.evaluate import all_inputs
from gatecc.testing import logic_nets

from conftest import assert_one_line_error
from foreign import random_arrays, reference_outputs, write


def _same_net(n1, n2):
    assert n1.n_inputs == n2.n_inputs and n1.groupsum == n2.groupsum
    for l1, l2 in zip(n1.layers, n2.layers, strict=True):
        assert np.array_equal(l1.a, l2.a) and np.array_equal(l1.b, l2.b)
        for x, y in ((l1.logits, l2.logits), (l1.gates, l2.gates)):
            assert (x is None) == (y is None)
            if x is not None:
                assert x.dtype == y.dtype and np.array_equal(x, y)


@settings(max_examples=20)
@given(logic_nets())
def test_save_load_round_trip(tmp_path_factory, net):
    path = tmp_path_factory.mktemp("rt") / "net.npz"
    net.save(path)
    _same_net(gatecc.load(path), net)


def test_save_is_byte_deterministic(tmp_path):
    net = gatecc.model.net_from_arrays(random_arrays(3, k=4, tau=2.0))
    net.save(tmp_path / "a.npz")
    net.save(tmp_path / "b.npz")
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()


FOREIGN = [
    dict(seed=0),
    dict(seed=1, compressed=True),
    dict(seed=2, hard=True),
    dict(seed=3, k=4, tau=2.5),
    dict(seed=4, k=2, widths=(16, 16, 6)),
    dict(seed=5, logit_dtype=np.float64, index_dtype=np.int32),
    dict(seed=6, widths=(1,)),
    dict(seed=7, widths=(30, 20, 10, 5, 1)),
    dict(seed=8, hard=True, k=3, widths=(9, 12)),
    dict(seed=9, n_inputs=1, widths=(3, 2)),
]


@pytest.mark.parametrize("spec", FOREIGN, ids=[str(i) for i in range(len(FOREIGN))])
def test_foreign_written_nets_compile_and_match_every_input(tmp_path, spec):
    spec = dict(spec)
    compressed = spec.pop("compressed", False)
    arrays = random_arrays(**spec)
    path = tmp_path / "net.npz"
    write(path, arrays, compressed=compressed)
    n = int(arrays["n_inputs"])
    x = all_inputs(n)
    expected = np.array([reference_outputs(arrays, row) for row in x.tolist()])
    for level in (0, 2):
        got = gatecc.compile(str(path), opt_level=level)(x)
        assert np.array_equal(got, expected), level


def test_foreign_net_through_cli_run(tmp_path, cli):
    arrays = random_arrays(11, widths=(10, 4))
    write(tmp_path / "net.npz", arrays)
    res = cli("run", "net.npz")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.strip().splitlines()
    assert len(lines) == 512
    for row, line in zip(all_inputs(9).tolist(), lines):
        left, right = line.split(" -> ")
        assert left == "".join(map(str, row))
        assert right == "".join(map(str, reference_outputs(arrays, row)))


# ---------------------------------------------------------------------------
# bad input: each gets ModelError from the API and one line + exit 2 from the CLI

def _mutated(**changes):
    def make(path):
        arrays = random_arrays(21, k=changes.pop("_k", None))
        for key, value in changes.items():
            if value is None:
                arrays.pop(key, None)
            else:
                arrays[key] = value
        write(path, arrays)
    return make


def _valid_bytes():
    import io
    buf = io.BytesIO()
    np.savez_compressed(buf, **random_arrays(22))
    return buf.getvalue()


def _write_bytes(data):
    return lambda path: path.write_bytes(data)


def _corrupt(path):
    data = bytearray(_valid_bytes())
    mid = len(data) // 2
    data[mid:mid + 16] = bytes(16)
    path.write_bytes(bytes(data))


def _pickled(path):
    arrays = random_arrays(23)
    arrays["layer0/a"] = np.array([object(), 1], dtype=object)
    np.savez(path, **arrays)


def _npy(path):
    np.save(path.with_suffix(".npy"), np.zeros(3))
    path.with_suffix(".npy").rename(path)


BAD = {
    "missing file": (None, "no such file"),
    "directory": ("dir", "directory"),
    "empty file": (_write_bytes(b""), "not an .npz"),
    "truncated": (lambda p: p.write_bytes(_valid_bytes()[:300]), "truncated"),
    "corrupt": (_corrupt, "corrupt"),
    "not a zip": (_write_bytes(b"hello, I am a text file\n" * 10), "not an .npz"),
    "npy not npz": (_npy, "not an .npz"),
    "pickled objects": (_pickled, "pickled"),
    "wrong format": (_mutated(format=np.array("difflogic")), "format"),
    "format not a string": (_mutated(format=np.array(3)), "format"),
    "wrong version": (_mutated(version=np.array(3)), "version 3"),
    "version 2 without its encoder": (_mutated(version=np.array(2)), "encoder/kind"),
    "missing n_inputs": (_mutated(n_inputs=None), "'n_inputs'"),
    "missing wiring": (_mutated(**{"layer1/b": None}), "'layer1/b'"),
    "missing logits": (_mutated(**{"layer0/logits": None}), "'layer0/logits'"),
    "both logits and gates": (_mutated(**{"layer0/gates": np.zeros(12, np.uint8)}), "both"),
    "nan logits": (_mutated(**{"layer1/logits": np.full((8, 16), np.nan, np.float32)}), "NaN"),
    "inf logits": (_mutated(**{"layer0/logits": np.full((12, 16), np.inf, np.float32)}), "infinite"),
    "logits shape": (_mutated(**{"layer0/logits": np.zeros((12, 15), np.float32)}), "shape"),
    "logits dtype": (_mutated(**{"layer0/logits": np.zeros((12, 16), np.int32)}), "dtype"),
    "wiring dtype": (_mutated(**{"layer0/a": np.zeros(12, np.float32)}), "dtype"),
    "wiring 2-D": (_mutated(**{"layer0/a": np.zeros((12, 1), np.int64)}), "1-D"),
    "wiring lengths differ": (_mutated(**{"layer0/b": np.zeros(11, np.int64)}), "entries"),
    "negative wiring": (_mutated(**{"layer1/a": np.full(8, -1)}), "out of range"),
    "wiring out of range": (_mutated(**{"layer1/b": np.full(8, 12)}), "out of range"),
    "gate id above 15": (_mutated(**{"layer0/logits": None, "layer0/gates": np.full(12, 16, np.uint8)}), "gate id 16"),
    "gates dtype": (_mutated(**{"layer0/logits": None, "layer0/gates": np.zeros(12, np.float32)}), "dtype"),
    "groupsum k does not divide": (_mutated(groupsum_k=np.array(3)), "does not divide"),
    "groupsum tau not positive": (_mutated(_k=2, groupsum_tau=np.array(0.0)), "tau"),
    "tau without k": (_mutated(groupsum_tau=np.array(2.0)), "groupsum_k"),
    "empty layer": (_mutated(**{"layer1/a": np.zeros(0, np.int64), "layer1/b": np.zeros(0, np.int64),
                                "layer1/logits": np.zeros((0, 16), np.float32)}), "empty layer"),
    "zero layers": (_mutated(n_layers=np.array(0)), "n_layers"),
    "n_inputs not scalar": (_mutated(n_inputs=np.array([9, 9])), "n_inputs"),
    "unexpected key": (_mutated(**{"layer2/a": np.zeros(3, np.int64)}), "unexpected key 'layer2/a'"),
}


def _make_bad(tmp_path, case):
    maker, _ = BAD[case]
    path = tmp_path / "bad.npz"
    if maker == "dir":
        path.mkdir()
    elif maker is not None:
        maker(path)
    return path


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_model_raises_model_error(tmp_path, case):
    path = _make_bad(tmp_path, case)
    with pytest.raises(gatecc.ModelError) as info:
        gatecc.load(path)
    assert BAD[case][1] in str(info.value)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("case", sorted(BAD))
@pytest.mark.parametrize("command", ["lower", "stats"])
def test_bad_model_cli_one_line_exit_2(tmp_path, cli, case, command):
    _make_bad(tmp_path, case)
    out = tmp_path / "out.c"
    args = ["lower", "bad.npz", "-o", out] if command == "lower" else ["stats", "bad.npz", "--json"]
    res = cli(*args)
    assert_one_line_error(res, BAD[case][1], "bad.npz")
    assert not out.exists()
