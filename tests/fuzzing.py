"""A mutation fuzzer over every model reader and the command line (issue 20).

Seeds are the shipped examples, small EPFL AIGER files and small files of
every other format written here.  A case is a seed mutated one to three
times (bit flips, byte sets, truncation, splices, number edits in headers,
edits of zip members and of zip headers); it is loaded through
:func:`gatecc.load` (what the CLI calls) or through the CLI's ``main``, and
its outcome classified:

* ``clean error``: one :class:`GateccError` line, not caused by a MemoryError;
* ``accepted``: the model loads, its graph passes ``ir.verify``, prints and
  re-parses to the same graph, and evaluates the same through ``ir.evaluate``
  and (sampled) a compiled C target;
* anything else is a ``failure: ...`` (another exception, a timeout, an
  exhausted resource, a multi-line error, a mismatch).

Used by tests/test_fuzz.py (briefly, hypothesis-driven) and by
benchmarks/fuzz.py (at length).
"""

from __future__ import annotations

import contextlib
import io
import random
import re
import signal
import struct
import sys
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))

import hostile_files as H  # noqa: E402
from gatecc.errors import GateccError  # noqa: E402

EPFL_SEEDS = ("int2float.aig", "ctrl.aig", "cavlc.aig", "dec.aig")
INTERESTING = (0, 1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 63, 64, 255, 256, 65535, 65536, 2**31 - 1, 2**31,
               2**32 - 1, 2**32, 2**63 - 1, 2**63, 2**64, 10**9, 10**12, -1, -2)
DESCRS = ("<f4", "<f8", "<f2", ">f4", "<i8", "<i4", "|i1", "|u1", "<u8", "|b1", "<U5", "|S3", "<c8", "|O", "|V4",
          "<M8[s]", "[('a', '<i4')]", "<i8'", "")


class FuzzTimeout(BaseException):
    """A case ran past its time limit (BaseException, so no reader's except clause swallows it)."""


@dataclass
class Seed:
    """One file to mutate: which reader, its name, bytes and ``--from``; ``extra`` files sit beside it."""

    reader: str
    name: str
    data: bytes
    fmt: str | None = None
    extra: dict[str, bytes] = field(default_factory=dict)
    load_name: str | None = None  # the file to load, when it is not the mutated one (a wiring file)
    members: list | None = None  # (name, bytes) of a zip seed, filled on first use


# -- seeds -------------------------------------------------------------------

def _torch_seeds() -> list[Seed]:
    """difflogic and torchlogix .pt files (whole models and state_dicts), written with PyTorch."""
    import torch

    import peer_models as P

    out = []
    for reader, make in (("difflogic", P.difflogic_model), ("torchlogix", P.torchlogix_model)):
        model = make(3, n_inputs=6, widths=(8, 4), k=2)
        for what, obj in (("model", model), ("state", model.state_dict())):
            buf = io.BytesIO()
            torch.save(obj, buf)
            if what == "model":
                out.append(Seed(f"{reader}-pt", f"{reader}.pt", buf.getvalue(), "torch"))
            elif reader == "torchlogix":
                out.append(Seed(f"{reader}-pt", f"{reader}-state.pt", buf.getvalue(), "torchlogix"))
    return out


def make_seeds(torch_files: bool = True) -> list[Seed]:
    """Every seed: shipped examples, EPFL files, and small files of every format."""
    from gatecc.backends.aiger import emit_aiger
    from gatecc.backends.blif import emit_blif
    from gatecc.compiler import to_graph
    from gatecc.ir.text import print_graph
    from gatecc.model import npz_bytes

    seeds = [Seed("npz", p.name, p.read_bytes()) for p in sorted((ROOT / "examples").glob("*.npz"))]
    net = H.small_net()
    soft = H.small_net(seed=1).hardened()
    seeds += [Seed("npz", "hard.npz", npz_bytes(net.to_arrays(), compressed=False)),
              Seed("npz", "hardz.npz", npz_bytes(net.to_arrays())),
              Seed("jax", "jax.npz", H.jax_pytree(soft), "jax"),
              Seed("jax", "jaxn.npz", H.jax_pytree(net, n_inputs=6), "jax")]
    state, wiring = H.difflogic_pair(in_dim=6)
    seeds += [Seed("difflogic-npz", "dl.npz", state, "difflogic", {"dl.wiring.npz": wiring}),
              Seed("difflogic-npz", "dl.wiring.npz", wiring, "difflogic", {"dl.npz": state}, load_name="dl.npz")]
    from gatecc.model import LogicNet

    bits = to_graph(LogicNet(net.n_inputs, net.layers))  # no GroupSum: AIGER and BLIF carry bits only
    seeds += [Seed("ir", "m.gir", print_graph(to_graph(net)).encode()),
              Seed("ir", "bits.gir", print_graph(bits).encode()),
              Seed("aiger", "m.aag", emit_aiger(bits, binary=False)),
              Seed("aiger", "m.aig", emit_aiger(bits, binary=True)),
              Seed("blif", "m.blif", emit_blif(bits).encode())]
    seeds += [Seed("aiger", name, (ROOT / "benchmarks/corpus/epfl" / name).read_bytes()) for name in EPFL_SEEDS]
    if torch_files:
        seeds += _torch_seeds()
    return seeds


# -- mutations ---------------------------------------------------------------

def _number(rng: random.Random, old: int | None = None) -> int:
    if old is not None and rng.random() < 0.3:
        return max(0, old + rng.choice((-1, 1, old, 10**9)))
    return rng.choice(INTERESTING)


def flip_bits(rng, data: bytearray, seeds):
    for _ in range(rng.randint(1, 8)):
        if data:
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    return data


def set_bytes(rng, data: bytearray, seeds):
    for _ in range(rng.randint(1, 4)):
        if data:
            data[rng.randrange(len(data))] = rng.choice((0, 0xFF, 0x7F, 0x80, 0x20, 0x0A, ord("%"), ord("9")))
    return data


def truncate(rng, data: bytearray, seeds):
    return data[:rng.randrange(len(data) + 1)] if data else data


def splice(rng, data: bytearray, seeds):
    """Insert, delete or copy a chunk, from this file or another seed."""
    other = rng.choice(seeds).data if rng.random() < 0.5 else bytes(data)
    pos = rng.randrange(len(data) + 1)
    size = rng.choice((1, 2, 4, 8, 64, 512))
    if rng.random() < 0.4:
        del data[pos:pos + size]
        return data
    start = rng.randrange(max(1, len(other)))
    data[pos:pos] = other[start:start + size]
    return data


_DIGITS = re.compile(rb"-?\d+")


def edit_number(rng, data: bytearray, seeds):
    """Replace a decimal number (a header count, a shape, a node reference) with an interesting one."""
    hits = list(_DIGITS.finditer(bytes(data[:4096])))
    if not hits:
        return flip_bits(rng, data, seeds)
    m = rng.choice(hits[:64]) if rng.random() < 0.7 else rng.choice(hits)
    data[m.start():m.end()] = str(_number(rng, int(m.group()))).encode()
    return data


def edit_lines(rng, data: bytearray, seeds):
    """Delete, duplicate or swap lines of a text file."""
    lines = bytes(data).split(b"\n")
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    op = rng.randrange(3)
    if op == 0:
        del lines[i]
    elif op == 1:
        lines.insert(i, lines[j])
    else:
        lines[i], lines[j] = lines[j], lines[i]
    return bytearray(b"\n".join(lines))


def _members(seed: Seed):
    if seed.members is None:
        zf = zipfile.ZipFile(io.BytesIO(seed.data))
        seed.members = [(i.filename, zf.read(i)) for i in zf.infolist()]
    return seed.members


def _mutate_npy(rng, raw: bytes) -> bytes:
    """Edit a member's .npy header (shape, dtype, order, length) or its body."""
    data = bytearray(raw)
    end = data.find(b"\n") + 1 if data.startswith(b"\x93NUMPY") else 0
    op = rng.randrange(6)
    if op == 0 and end:  # a shape entry
        head = bytes(data[:end])
        m = re.search(rb"'shape': \(([^)]*)\)", head)
        if m:
            dims = [int(x) for x in m.group(1).split(b",") if x.strip()] or [1]
            k = rng.randrange(len(dims) + 1)
            if k == len(dims) or rng.random() < 0.2:
                dims.insert(k, _number(rng))
            else:
                dims[k] = _number(rng, dims[k])
            text = "(" + ", ".join(map(str, dims)) + ("," if len(dims) == 1 else "") + ")"
            head = head[:m.start(1) - 1] + text.encode() + head[m.end(1) + 1:]
            data[:end] = head
    elif op == 1 and end:
        data[:end] = re.sub(rb"'descr': '[^']*'", b"'descr': '" + rng.choice(DESCRS).encode() + b"'", bytes(data[:end]))
    elif op == 2 and end:
        data[:end] = bytes(data[:end]).replace(b"False", b"True") if b"False" in data[:end] \
            else bytes(data[:end]).replace(b"True", b"False")
    elif op == 3 and len(data) > 9:
        data[8:10] = struct.pack("<H", _number(rng) & 0xFFFF)
    elif op == 4:
        data = flip_bits(rng, data, ())
    else:
        data = truncate(rng, data, ()) if rng.random() < 0.5 else data + bytes(rng.choice((1, 8, 64)))
    return bytes(data)


def edit_zip_member(rng, data: bytearray, seeds, seed: Seed | None = None):
    """Re-zip the seed with one member edited, dropped, duplicated, renamed or swapped."""
    if seed is None or not seed.data.startswith(b"PK"):
        return flip_bits(rng, data, seeds)
    members = list(_members(seed))
    k = rng.randrange(len(members))
    name, raw = members[k]
    op = rng.randrange(8)
    if op <= 3:
        members[k] = (name, _mutate_npy(rng, raw) if name.endswith(".npy") else bytes(flip_bits(rng, bytearray(raw), ())))
    elif op == 4:
        del members[k]
    elif op == 5:
        members.insert(rng.randrange(len(members) + 1), members[rng.randrange(len(members))])
    elif op == 6:
        new = rng.choice(("layer9/a.npy", "meta/x.npy", "x", "format.npy", "n_layers.npy", "['params'][7].npy",
                          "1.weights.npy", "../evil.npy", name[:-4]))
        members[k] = (new, raw)
    else:
        j = rng.randrange(len(members))
        members[k], members[j] = (name, members[j][1]), (members[j][0], raw)
    if rng.random() < 0.5:
        return bytearray(H.zip_bytes([H.stored(n, d) for n, d in members]))
    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        warnings.simplefilter("ignore")  # duplicate names are one of the edits
        for n, d in members:
            zf.writestr(zipfile.ZipInfo(n, (1980, 1, 1, 0, 0, 0)), d, compress_type=zipfile.ZIP_DEFLATED)
    return bytearray(out.getvalue())


#: (signature, field offsets and sizes) of zip headers worth corrupting.
_ZIP_FIELDS = {b"PK\x03\x04": ((6, 2), (8, 2), (14, 4), (18, 4), (22, 4), (26, 2), (28, 2)),
               b"PK\x01\x02": ((8, 2), (10, 2), (16, 4), (20, 4), (24, 4), (28, 2), (30, 2), (42, 4)),
               b"PK\x05\x06": ((8, 2), (10, 2), (12, 4), (16, 4), (20, 2))}


def edit_zip_header(rng, data: bytearray, seeds):
    """Overwrite one field (method, flags, CRC, sizes, offsets, counts) of a zip header."""
    spots = [(m.start(), sig) for sig in _ZIP_FIELDS for m in re.finditer(re.escape(sig), bytes(data))]
    if not spots:
        return flip_bits(rng, data, seeds)
    pos, sig = rng.choice(spots)
    off, size = rng.choice(_ZIP_FIELDS[sig])
    value = _number(rng) % (1 << (8 * size))
    if off == 8 and sig == b"PK\x03\x04" or off == 10 and sig == b"PK\x01\x02":
        value = rng.choice((0, 8, 12, 14, 99, 1, 9))  # compression methods, known and not
    data[pos + off:pos + off + size] = value.to_bytes(size, "little")
    return data


MUTATORS = {"bitflip": flip_bits, "byteset": set_bytes, "truncate": truncate, "splice": splice,
            "number": edit_number, "lines": edit_lines, "zip-member": edit_zip_member, "zip-header": edit_zip_header}
TEXT_MUTATORS = ("bitflip", "byteset", "truncate", "splice", "number", "number", "lines", "lines")
BINARY_MUTATORS = ("bitflip", "byteset", "truncate", "splice", "number", "zip-member", "zip-member", "zip-member",
                   "zip-header", "zip-header")


def mutate(rng: random.Random, seed: Seed, seeds: list[Seed]) -> tuple[bytes, list[str]]:
    """The seed's bytes after one to three mutations, and the mutations' names."""
    data = bytearray(seed.data)
    kinds = BINARY_MUTATORS if seed.data.startswith(b"PK") else TEXT_MUTATORS
    names = []
    for i in range(rng.choice((1, 1, 2, 3))):
        name = rng.choice(kinds)
        fn = MUTATORS[name]
        data = fn(rng, data, seeds, seed) if name == "zip-member" and i == 0 else fn(rng, data, seeds)
        names.append(name)
    return bytes(data), names


# -- running a case ------------------------------------------------------------

@contextlib.contextmanager
def time_limit(seconds: float):
    """Raise FuzzTimeout in this (main) thread after ``seconds``."""
    def alarm(*_):
        raise FuzzTimeout(f"over {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _resource_cause(exc: BaseException) -> str | None:
    while exc is not None:
        if isinstance(exc, (MemoryError, RecursionError)):
            return type(exc).__name__
        exc = exc.__context__
    return None


class Checker:
    """Loads cases and checks accepted ones; ``compile_every``: compile 1 in N accepted cases for C."""

    def __init__(self, workdir: Path, compile_every: int = 200, max_compiles: int = 200, seconds: float = 20.0):
        self.dir, self.compile_every, self.max_compiles, self.seconds = Path(workdir), compile_every, max_compiles, seconds
        self.accepted = self.compiles = 0
        self.rng = np.random.default_rng(0)

    def write(self, seed: Seed, data: bytes) -> Path:
        """Put the case (and the seed's unchanged companion files) in the work directory."""
        for name, extra in seed.extra.items():
            (self.dir / name).write_bytes(extra)
        path = self.dir / seed.name
        path.write_bytes(data)
        return self.dir / (seed.load_name or seed.name)

    def load_case(self, seed: Seed, data: bytes) -> str:
        """Load through gatecc.load and classify the outcome."""
        from gatecc.load import load

        path = self.write(seed, data)
        try:
            with time_limit(self.seconds):
                model = load(path, seed.fmt)
                return self.check_accepted(model)
        except FuzzTimeout:
            return "failure: timeout"
        except GateccError as exc:
            return self.classify_error(exc)
        except Exception as exc:  # noqa: BLE001  (what the fuzzer is for)
            return f"failure: {type(exc).__name__}: {str(exc)[:120]}"

    @staticmethod
    def classify_error(exc: GateccError) -> str:
        cause = _resource_cause(exc)
        if cause:
            return f"failure: {cause} behind a ModelError"
        if "\n" in str(exc) or not str(exc).strip():
            return "failure: error message is not one line"
        return "clean error"

    def check_accepted(self, model) -> str:
        """An accepted model must be a valid graph that evaluates the same everywhere."""
        from gatecc.compiler import to_graph
        from gatecc.ir.evaluate import evaluate_samples
        from gatecc.ir.text import parse_graph, print_graph
        from gatecc.ir.verify import verify
        from gatecc.model import LogicNet, net_from_arrays

        if isinstance(model, LogicNet):
            again = net_from_arrays(model.to_arrays())  # still model format v1
            if again.widths != model.widths or again.n_inputs != model.n_inputs:
                return "failure: LogicNet does not round-trip"
        graph = verify(to_graph(model))
        text = print_graph(graph)
        if print_graph(parse_graph(text)) != text:
            return "failure: graph does not round-trip through its text form"
        x = self.rng.integers(0, 2, (8, graph.n_inputs), dtype=np.uint8)
        want = evaluate_samples(graph, x)
        self.accepted += 1
        if self.compiles < self.max_compiles and (self.accepted - 1) % self.compile_every == 0:
            import gatecc

            self.compiles += 1
            net = gatecc.compile(graph, target="c", opt_level=self.compiles % 2, cache=False)
            got = net(x)
            if not np.array_equal(np.asarray(got, np.int64), want):
                return "failure: compiled C differs from ir.evaluate"
        return "accepted"

    def cli_case(self, seed: Seed, data: bytes, command: str) -> str:
        """Run ``gatecc COMMAND`` in-process (the CLI's own main) on the case and classify it."""
        from gatecc.cli import main

        path = self.write(seed, data)
        fmt = ["--from", seed.fmt] if seed.fmt else []
        argv = {"stats": ["stats", str(path), *fmt],
                "lower": ["lower", str(path), "-t", "c", "-O", "1", *fmt],
                "verify": ["verify", str(path), str(path)] + (["--from-a", seed.fmt, "--from-b", seed.fmt] if seed.fmt else []),
                "run": ["run", str(path), "-t", "c", "-O", "0", *fmt, "--input", "0" * 6]}[command]
        out, err = io.TextIOWrapper(io.BytesIO(), write_through=True), io.StringIO()
        try:
            with time_limit(self.seconds * 3), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                rc = main(argv)
        except FuzzTimeout:
            return "failure: timeout"
        except SystemExit as exc:
            rc = exc.code
        except Exception as exc:  # noqa: BLE001
            return f"failure: {type(exc).__name__} escaped the CLI: {str(exc)[:100]}"
        lines = err.getvalue().strip().splitlines()
        if rc == 2:
            if len(lines) != 1 or "Traceback" in err.getvalue():
                return "failure: exit 2 without exactly one stderr line"
            return "clean error"
        if rc == 0:
            return "accepted"
        return f"failure: exit status {rc}: {' | '.join(lines)[:120]}"
