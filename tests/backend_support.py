"""Helpers shared by the backend tests: which targets run here, and the oracle check."""

import numpy as np
import pytest

import gatecc
from gatecc.backends import get_target, target_names


def runnable_targets():
    """Every runnable target, each marked skip (with the reason) where it cannot run here."""
    params = []
    for name in target_names():
        target = get_target(name)
        if not target.runnable:
            continue
        reason = target.available()
        marks = [pytest.mark.skip(reason=f"{name}: {reason}")] if reason else []
        params.append(pytest.param(name, marks=marks, id=name))
    return params


def as_soft_scale(net, compiled_out):
    """Compiled outputs on the soft model's scale: bits as floats, counts / tau."""
    out = compiled_out.astype(np.float32)
    if net.groupsum is not None:
        out = out / np.float32(net.groupsum.tau)
    return out


def assert_matches_soft(net, compiled, x, hard=True):
    """compiled(x) equals the soft model (hard mode by default) exactly."""
    got = compiled(x)
    expected = gatecc.soft_eval(net, x, hard=hard)
    assert got.shape == expected.shape
    if net.groupsum is None:
        assert got.dtype == np.uint8
    else:
        assert got.dtype == np.int32
    np.testing.assert_array_equal(as_soft_scale(net, got), expected)
