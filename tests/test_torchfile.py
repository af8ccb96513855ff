"""The torch-free reader of torch.save files: exact tensors, and nothing else runs."""

import collections
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import gatecc
from gatecc.importers.torchfile import PickledObject, parse_torch_bytes, read_torch_file
from peer_models import difflogic_model, torch


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64,
                                   torch.int32, torch.int16, torch.int8, torch.uint8, torch.bool])
def test_every_dtype_reads_exactly(tmp_path, dtype):
    t = (torch.arange(-6, 18).reshape(4, 6) * 3).to(dtype)
    torch.save({"t": t}, tmp_path / "t.pt")
    got = read_torch_file(tmp_path / "t.pt")["t"]
    expected = t.float().numpy() if dtype == torch.bfloat16 else t.numpy()
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def test_views_offsets_strides_and_shared_storage(tmp_path):
    base = torch.arange(60, dtype=torch.float32).reshape(6, 10)
    obj = {"T": base.t(), "slice": base[2:5, 3:9:2], "row": base[4], "base": base, "empty": base[:0],
           "nested": [(base[1], 7, "text"), {"x": 1.5}], "scalar": torch.tensor(3.25)}
    torch.save(obj, tmp_path / "v.pt")
    got = read_torch_file(tmp_path / "v.pt")
    for key in ("T", "slice", "row", "base", "empty"):
        np.testing.assert_array_equal(got[key], obj[key].numpy())
    np.testing.assert_array_equal(got["nested"][0][0], base[1].numpy())
    assert got["nested"][0][1:] == (7, "text") and got["nested"][1] == {"x": 1.5}
    assert got["scalar"].shape == () and float(got["scalar"]) == 3.25


def test_state_dict_keeps_its_order(tmp_path):
    model = difflogic_model(0)
    torch.save(model.state_dict(), tmp_path / "sd.pt")
    got = read_torch_file(tmp_path / "sd.pt")
    assert isinstance(got, collections.OrderedDict) and list(got) == list(model.state_dict())


def test_modules_become_inert_records(tmp_path):
    model = difflogic_model(1)
    torch.save(model, tmp_path / "m.pt")
    root = read_torch_file(tmp_path / "m.pt")
    assert isinstance(root, PickledObject) and root.qualname == "torch.nn.modules.container.Sequential"
    layer = root.children["1"]
    assert layer.qualname == "difflogic.difflogic.LogicLayer"
    np.testing.assert_array_equal(layer.attr("_parameters")["weights"], model[1].weights.detach().numpy())
    a, b = layer.attr("indices")
    np.testing.assert_array_equal(a, model[1].indices[0].numpy())


class Evil:
    """Unpickling this would run a shell command."""

    def __reduce__(self):
        return (subprocess.call, (["touch", "/tmp/gatecc-pwned"],))


def test_a_pickle_that_would_run_code_is_refused_before_running(tmp_path):
    torch.save({"w": torch.zeros(2), "evil": Evil()}, tmp_path / "evil.pt")
    with pytest.raises(gatecc.ModelError, match="subprocess.call, which gatecc does not load"):
        read_torch_file(tmp_path / "evil.pt")


def test_gatecc_reads_peer_files_without_torch_installed(tmp_path):
    model = difflogic_model(2, tau=2.0)
    torch.save(model, tmp_path / "m.pt")
    code = ("import sys; sys.modules['torch'] = None  # importing torch now fails\n"
            "import gatecc\n"
            "net = gatecc.load('m.pt')\n"
            "print(net.widths, net.groupsum.k)\n")
    res = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[24, 12] 3"


def _zip_bytes(tmp_path, obj):
    torch.save(obj, tmp_path / "f.pt")
    return (tmp_path / "f.pt").read_bytes()


def test_bad_files(tmp_path):
    good = _zip_bytes(tmp_path, {"w": torch.zeros(100)})
    cases = [
        (b"", "not a torch.save file"),
        (b"hello", "not a torch.save file"),
        (good[: len(good) // 2], "corrupt or truncated"),
        (pickle.dumps({"w": 1}, protocol=2), "legacy torch.save format"),
    ]
    # An archive whose storage record is missing.
    src = zipfile.ZipFile(tmp_path / "f.pt")
    with zipfile.ZipFile(tmp_path / "nostorage.pt", "w") as dst:
        for item in src.infolist():
            if "/data/" not in item.filename:
                dst.writestr(item, src.read(item.filename))
    cases.append(((tmp_path / "nostorage.pt").read_bytes(), "truncated: the archive has no storage"))
    for data, needle in cases:
        with pytest.raises(gatecc.ModelError, match=needle):
            parse_torch_bytes(data, "x.pt")


def test_legacy_format_is_named(tmp_path, cli):
    torch.save({"w": torch.zeros(3)}, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    from conftest import assert_one_line_error

    assert_one_line_error(cli("stats", "old.pt"), "legacy torch.save format")
