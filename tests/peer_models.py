"""Real PyTorch models laid out as difflogic and torchlogix lay them out, and their eval() outputs.

difflogic comes from the stand-in in tests/peers (it cannot be installed
here); torchlogix is the real package (``scripts/setup.sh --test`` installs
it without its heavy optional dependencies).  torchlogix's ``__init__`` needs
Python 3.12 syntax for an exporter gatecc does not use, so on older Pythons
its layer modules are imported without running the package ``__init__``:
the classes, their module paths and so the pickles are the real ones.
"""

import importlib.util
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import torch  # the test extra pins it

PEERS = Path(__file__).resolve().parent / "peers"


def difflogic():
    """The difflogic stand-in package."""
    if str(PEERS) not in sys.path:
        sys.path.insert(0, str(PEERS))
    import difflogic as module

    return module


def torchlogix_layers():
    """``torchlogix.layers`` (real), importable on Python 3.11 too."""
    if "torchlogix.layers" in sys.modules:
        return sys.modules["torchlogix.layers"]
    spec = importlib.util.find_spec("torchlogix")
    if spec is None:
        pytest.fail("torchlogix is not installed: run scripts/setup.sh --test "
                    "(or pip install --no-deps torchlogix==0.2.2)")
    try:
        import torchlogix  # noqa: F401  (works on Python >= 3.12)
    except SyntaxError:
        package = types.ModuleType("torchlogix")
        package.__path__ = list(spec.submodule_search_locations)
        sys.modules["torchlogix"] = package
    import torchlogix.layers as layers

    return layers


def difflogic_model(seed, n_inputs=9, widths=(24, 12), k=3, tau=2.0, ties=False):
    """nn.Sequential(Flatten, LogicLayer..., GroupSum) with seeded weights; ``ties``: integer logits."""
    dl = difflogic()
    gen = torch.Generator().manual_seed(seed)
    layers, prev = [torch.nn.Flatten()], n_inputs
    for w in widths:
        layer = dl.LogicLayer(prev, w, generator=gen)
        if ties:
            with torch.no_grad():
                layer.weights.copy_(torch.randint(0, 3, (w, 16), generator=gen).float())
        layers.append(layer)
        prev = w
    if k:
        layers.append(dl.GroupSum(k, tau))
    return torch.nn.Sequential(*layers).eval()


def torchlogix_model(seed, n_inputs=9, widths=(24, 12), k=3, tau=2.0, beta=0.0, parametrization="raw",
                     connections="fixed", lut_rank=2):
    """A torchlogix nn.Sequential(Flatten, LogicDense..., GroupSum) with random weights."""
    tl = torchlogix_layers()
    torch.manual_seed(seed)
    layers, prev = [torch.nn.Flatten()], n_inputs
    for w in widths:
        layers.append(tl.LogicDense(prev, w, device="cpu", parametrization=parametrization, connections=connections,
                                    lut_rank=lut_rank, parametrization_kwargs={"weight_init": "random"}))
        prev = w
    if k:
        layers.append(tl.GroupSum(k, tau, beta=beta, device="cpu"))
    return torch.nn.Sequential(*layers).eval()


def eval_outputs(model, x: np.ndarray) -> np.ndarray:
    """The peer model's own eval-mode outputs on 0/1 rows ``x``."""
    with torch.no_grad():
        return model.eval()(torch.tensor(np.asarray(x), dtype=torch.float32)).numpy()


def counts_from_scores(scores: np.ndarray, tau: float, beta: float = 0.0) -> np.ndarray:
    """Integer counts from GroupSum scores (count + beta) / tau, checking they are whole."""
    counts = scores.astype(np.float64) * tau - beta
    rounded = np.rint(counts)
    assert np.allclose(counts, rounded, atol=1e-3), "peer scores are not whole counts"
    return rounded.astype(np.int64)
