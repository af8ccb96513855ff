"""Hostile model files, built in memory: the reproducers of the six failure classes of issue 20.

Each builder returns bytes that are small and quick to make, however much
they claim: the zip bomb's 3 GiB member is a few repeated deflate blocks with
its CRC computed algebraically, not by inflating it.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import numpy as np

from gatecc.model import LogicNet, npz_bytes

GIB = 1 << 30


def small_net(n_inputs: int = 6, seed: int = 0) -> LogicNet:
    """A hard two-layer net with a GroupSum head, the base the hostile files are made from."""
    rng = np.random.default_rng(seed)
    layers = [(rng.integers(0, n_inputs, 8), rng.integers(0, n_inputs, 8), rng.integers(0, 16, 8)),
              (rng.integers(0, 8, 4), rng.integers(0, 8, 4), rng.integers(0, 16, 4))]
    from gatecc.model import GroupSum

    return LogicNet.from_gates(n_inputs, layers, GroupSum(2, 1.0))


def npy_bytes(arr) -> bytes:
    """An array as .npy bytes (numpy's own writer)."""
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asarray(arr), allow_pickle=False)
    return buf.getvalue()


def npy_header(descr: str, shape: tuple, fortran: bool = False) -> bytes:
    """A version 1.0 .npy header declaring ``shape`` of ``descr``, padded as numpy pads it."""
    text = repr({"descr": descr, "fortran_order": fortran, "shape": shape})
    pad = 64 - (10 + len(text) + 1) % 64
    text = text + " " * pad + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin1")


# -- a zip writer that can lie -------------------------------------------------

def _crc_map(nbytes: int):
    """crc32 over ``nbytes`` zero bytes as an affine map of the running CRC (constant, 32 columns)."""
    zeros = bytes(nbytes)
    const = zlib.crc32(zeros, 0)
    return const, [zlib.crc32(zeros, 1 << i) ^ const for i in range(32)]


def _apply(m, c: int) -> int:
    const, cols = m
    for i in range(32):
        if c >> i & 1:
            const ^= cols[i]
    return const


def _compose(g, f):
    """g after f."""
    const = _apply(g, f[0])
    return const, [_apply(g, f[0] ^ col) ^ const for col in f[1]]


def crc32_zeros(crc: int, nbytes: int, chunk: int = 1 << 20) -> int:
    """``zlib.crc32(bytes(nbytes), crc)`` without touching ``nbytes`` bytes (nbytes a multiple of chunk)."""
    assert nbytes % chunk == 0
    power, result, n = _crc_map(chunk), None, nbytes // chunk
    while n:
        if n & 1:
            result = power if result is None else _compose(power, result)
        power = _compose(power, power)
        n >>= 1
    return _apply(result, crc) if result else crc


def zip_bytes(members) -> bytes:
    """A zip of ``(name, method, payload, crc, size)`` members written verbatim (``payload`` already compressed)."""
    out, central = bytearray(), bytearray()
    for name, method, payload, crc, size in members:
        fname = name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, len(payload) & 0xFFFFFFFF,
                           size & 0xFFFFFFFF, len(fname), 0) + fname + payload
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, crc,
                               len(payload) & 0xFFFFFFFF, size & 0xFFFFFFFF, len(fname), 0, 0, 0, 0,
                               0o644 << 16, offset) + fname
    cd_offset = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), cd_offset, 0)
    return bytes(out)


def stored(name: str, data: bytes):
    """A stored (uncompressed) member for :func:`zip_bytes`."""
    return (name, zipfile.ZIP_STORED, data, zlib.crc32(data), len(data))


def bomb_member(name: str, header: bytes, zeros: int):
    """A deflated member of ``header`` then ``zeros`` zero bytes, made without inflating it."""
    chunk = 1 << 20
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(header) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(bytes(chunk)) + c.flush(zlib.Z_FULL_FLUSH)
    payload = head + block * (zeros // chunk) + c.flush(zlib.Z_FINISH)
    crc = crc32_zeros(zlib.crc32(header), zeros, chunk)
    return (name, zipfile.ZIP_DEFLATED, payload, crc, len(header) + zeros)


def model_members(net: LogicNet, skip=()):
    """The net's model format v1 members as stored zip members, leaving out ``skip`` keys."""
    return [stored(f"{k}.npy", npy_bytes(v)) for k, v in net.to_arrays().items() if k not in skip]


# -- the reproducers -------------------------------------------------------------

def zip_bomb(total: int = 3 * GIB) -> bytes:
    """Class 5: a model whose layer0/logits member inflates to ``total`` bytes (about total/1000 on disk)."""
    net = small_net().hardened()
    width = net.layers[0].width
    rows = total // 64
    members = [m for m in model_members(net, skip=("layer0/gates",))]
    members.append(bomb_member("layer0/logits.npy", npy_header("<f4", (rows, 16)), rows * 64))
    assert rows != width  # the declared shape is wrong too, but the size limit must trip first
    return zip_bytes(members)


def lying_bomb(total: int = 3 * GIB) -> bytes:
    """Class 5, variant: the member's header declares 1 KiB but its deflate stream inflates to ``total``."""
    name, method, payload, crc, _ = bomb_member("layer0/logits.npy", npy_header("<f4", (16, 16)), total)
    return zip_bytes(model_members(small_net(), skip=("layer0/gates",)) + [(name, method, payload, crc, 1088)])


def huge_shape(shape=(10**12,)) -> bytes:
    """Class 4: a member whose .npy header declares ``shape`` (of int64) over a few bytes."""
    members = model_members(small_net(), skip=("layer0/a",))
    members.append(stored("layer0/a.npy", npy_header("<i8", shape) + bytes(64)))
    return zip_bytes(members)


def bad_npy_header() -> bytes:
    """Class 1: a bit flip that breaks a member's .npy header (an unterminated string literal)."""
    data = bytearray(npy_bytes(small_net().layers[0].a))
    pos = data.index(b"'descr'")
    data[pos] ^= 0x02  # the opening quote becomes '%'
    return zip_bytes(model_members(small_net(), skip=("layer0/a",)) + [stored("layer0/a.npy", bytes(data))])


def no_npy_magic() -> bytes:
    """Class 2: a member that is not .npy at all."""
    return zip_bytes(model_members(small_net(), skip=("format",)) + [stored("format.npy", b"gatecc.logicnet")])


def bad_zip_method(flag_bit5: bool = False, base: bytes | None = None) -> bytes:
    """Class 3: a zip entry whose method is unknown (or, with ``flag_bit5``, 'compressed patched data').

    ``base`` is the archive to corrupt (default: a stored model format v1 file).
    """
    data = bytearray(base or npz_bytes(small_net().to_arrays(), compressed=False))
    cd = data.rindex(b"PK\x01\x02")  # the last central directory entry
    if flag_bit5:
        data[cd + 8:cd + 10] = struct.pack("<H", 0x20)
    else:
        data[cd + 10:cd + 12] = struct.pack("<H", 99)
    return bytes(data)


def jax_pytree(net: LogicNet | None = None, n_inputs: int | None = None) -> bytes:
    """A flattened JAX params/wires pytree of ``net``; ``n_inputs`` adds that scalar leaf."""
    net = net or small_net()
    arrays = {}
    for i, layer in enumerate(net.layers):
        logits = np.full((layer.width, 16), -5.0, np.float32)
        logits[np.arange(layer.width), layer.gate_ids()] = 5.0
        arrays[f"['params'][{i}]"] = logits
        arrays[f"['wires'][{i}][0]"] = layer.a
        arrays[f"['wires'][{i}][1]"] = layer.b
    if n_inputs is not None:
        arrays["['n_inputs']"] = np.array(n_inputs, np.int64)
    return npz_bytes(arrays)


def difflogic_pair(in_dim: int = 10**9) -> tuple[bytes, bytes]:
    """A difflogic state_dict .npz and its wiring .npz whose first layer claims ``in_dim`` inputs."""
    net = small_net()
    state, wiring = {}, {}
    for i, layer in enumerate(net.layers):
        logits = np.zeros((layer.width, 16), np.float32)
        logits[np.arange(layer.width), layer.gate_ids()] = 1.0
        state[f"{i + 1}.weights"] = logits
        wiring[f"{i + 1}.indices"] = np.stack([layer.a, layer.b])
    wiring["1.in_dim"] = np.array(in_dim, np.int64)
    return npz_bytes(state), npz_bytes(wiring)


def gir_huge_inputs(n: int = 10**9) -> bytes:
    """Class 6: IR text declaring ``n`` inputs and reading one."""
    return f"gatecc-ir 1\ninputs {n}\n%{n} = and %0, %1\noutputs %{n}\n".encode()


def aiger_bad_m(m: int = 10**12) -> bytes:
    """A binary AIGER whose header's M is not I + L + A."""
    return f"aig {m} 2 0 1 1\n6\n".encode() + bytes([2, 2])


def aiger_counts_beyond_file(n_and: int = 10**9) -> bytes:
    """A binary AIGER whose header declares far more ANDs than the bytes that follow."""
    return f"aig {2 + n_and} 2 0 1 {n_and}\n6\n".encode() + bytes([2, 2])


def torch_pickle(pickle_bytes: bytes) -> bytes:
    """A torch.save-shaped archive whose data.pkl is ``pickle_bytes``."""
    return zip_bytes([stored("archive/data.pkl", pickle_bytes), stored("archive/version", b"3\n")])


def pickle_huge_bytes(length: int = 2**40) -> bytes:
    """A .pt whose pickle declares a BINBYTES8 object of ``length`` bytes over a few."""
    return torch_pickle(b"\x80\x04\x8e" + struct.pack("<Q", length) + b"abc.")


def pickle_huge_memo(index: int = 2**32 - 1) -> bytes:
    """A .pt whose pickle stores an object at memo index ``index`` (the C unpickler grows its memo to it)."""
    return torch_pickle(b"\x80\x02]r" + struct.pack("<I", index) + b".")
