"""The numpy decoder of binary AIGER: the same graph as the byte-at-a-time reader, and the AIG's function."""

import random
from pathlib import Path

import numpy as np
import pytest

from gatecc.errors import ModelError
from gatecc.importers import aiger
from gatecc.importers.aiger import parse_aiger
from gatecc.ir import evaluate_samples

CORPUS = Path(__file__).resolve().parents[1] / "benchmarks" / "corpus"


def _varint(x: int) -> bytes:
    out = bytearray()
    while x >= 0x80:
        out.append(0x80 | (x & 0x7F))
        x >>= 7
    out.append(x)
    return bytes(out)


def _random_aig(rng: random.Random, n_in: int, n_and: int, n_out: int, constants: bool):
    """(binary AIGER bytes, the AND list, output literals): ANDs of random earlier literals."""
    ands, body = [], bytearray()
    for k in range(n_and):
        lhs = 2 * (n_in + k + 1)
        lo = 0 if constants else 2
        x, y = sorted((rng.randrange(lo, lhs), rng.randrange(lo, lhs)), reverse=True)
        if rng.random() < 0.05:
            y = x                       # a delta of zero between the fanins
        ands.append((lhs, x, y))
        body += _varint(lhs - x) + _varint(x - y)
    top = 2 * (n_in + n_and) + 1
    outs = [rng.randrange(0 if constants else 2, top + 1) for _ in range(n_out)]
    head = f"aig {n_in + n_and} {n_in} 0 {n_out} {n_and}\n" + "".join(f"{o}\n" for o in outs)
    return head.encode() + bytes(body), ands, outs


def _reference(n_in, ands, outs, rows):
    """Each row's outputs, evaluating the AND list directly (the format's definition)."""
    result = []
    for row in rows:
        val = {0: 0}
        for i in range(n_in):
            val[i + 1] = int(row[i])
        lit = lambda x: val[x >> 1] ^ (x & 1)  # noqa: E731
        for lhs, x, y in ands:
            val[lhs >> 1] = lit(x) & lit(y)
        result.append([lit(o) for o in outs])
    return np.array(result)


def _slow(data: bytes, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(aiger, "decode_ands", lambda *args: None)
        return parse_aiger(data)


@pytest.mark.parametrize("seed", range(12))
def test_random_aigs_match_the_definition_and_the_slow_reader(seed, monkeypatch):
    rng = random.Random(seed)
    n_in = rng.randrange(1, 9)
    data, ands, outs = _random_aig(rng, n_in, rng.randrange(0, 300), rng.randrange(1, 6), constants=seed % 3 == 0)
    graph = parse_aiger(data)
    assert graph == _slow(data, monkeypatch)
    rows = np.array([[rng.randrange(2) for _ in range(n_in)] for _ in range(64)], dtype=np.uint8)
    assert evaluate_samples(graph, rows).tolist() == _reference(n_in, ands, outs, rows).tolist()


def test_long_varints():
    # 20000 ANDs: deltas up to 40000 take three varint bytes.
    rng = random.Random(5)
    data, ands, outs = _random_aig(rng, 6, 20000, 4, constants=False)
    graph = parse_aiger(data)
    rows = np.array([[rng.randrange(2) for _ in range(6)] for _ in range(16)], dtype=np.uint8)
    assert evaluate_samples(graph, rows).tolist() == _reference(6, ands, outs, rows).tolist()


@pytest.mark.parametrize("name", ["epfl/ctrl", "epfl/int2float", "lgsynth93/seq"])
def test_corpus_circuits_identical_to_the_slow_reader(name, monkeypatch):
    data = (CORPUS / f"{name}.aig").read_bytes()
    fast, slow = parse_aiger(data), _slow(data, monkeypatch)
    assert fast == slow
    assert (fast.input_names, fast.output_names) == (slow.input_names, slow.output_names)


def test_bad_sections_still_named():
    # A zero delta (an AND reading itself), a truncated section, a negative literal: the slow path's errors.
    with pytest.raises(ModelError, match="cycle"):
        parse_aiger(b"aig 3 2 0 1 1\n6\n\x00\x02")
    with pytest.raises(ModelError, match="truncated"):
        parse_aiger(b"aig 4 2 0 1 2\n8\n\x02\x02\x02")
    with pytest.raises(ModelError, match="negative"):
        parse_aiger(b"aig 3 2 0 1 1\n6\n\x02\x10")
