"""Training checkpoints (``gatecc train --checkpoint`` / ``--resume``).

A checkpoint is an ``.npz`` of the parameters, the optimiser state and the
best parameters so far (each pytree flattened in JAX's leaf order), the
history and the epoch, plus the architecture and seed it belongs to.  The
data split, the encoder and the wiring are recomputed from the data and the
seed, so resuming with the same data and options continues the run exactly.
"""

from __future__ import annotations

import numpy as np

from ..model import write_npz
from .data import DataError


def _flatten(prefix: str, tree, out: dict) -> None:
    import jax

    for i, leaf in enumerate(jax.tree_util.tree_leaves(tree)):
        out[f"{prefix}/{i}"] = np.asarray(leaf)


def _unflatten(prefix: str, template, arrays: dict, path):
    import jax
    import jax.numpy as jnp

    leaves, treedef = jax.tree_util.tree_flatten(template)
    got = []
    for i, leaf in enumerate(leaves):
        key = f"{prefix}/{i}"
        if key not in arrays or arrays[key].shape != np.shape(leaf):
            raise DataError(f"{path}: checkpoint does not match this architecture ({key})")
        got.append(jnp.asarray(arrays[key], dtype=jnp.asarray(leaf).dtype))
    return jax.tree_util.tree_unflatten(treedef, got)


def save(path, params, state, best, history, epoch: int, arch, config) -> None:
    """Write a checkpoint after ``epoch``."""
    arrays = {"arch": np.array(arch.spec()), "seed": np.array(config.seed), "epoch": np.array(epoch),
              "best_score": np.array(best["score"]), "best_loss": np.array(best["loss"]), "best_epoch": np.array(best["epoch"]),
              "history": np.array([[h["epoch"], h["soft"], h["hard"]] for h in history], dtype=np.float64)}
    _flatten("params", params, arrays)
    _flatten("state", state, arrays)
    _flatten("best", best["params"], arrays)
    write_npz(path, arrays)


def load(path, params, state, arch, config):
    """(params, state, best, history, first epoch to run) from a checkpoint made with ``arch`` and the seed."""
    from ..files import read_npz_arrays
    from ..errors import ModelError

    try:
        arrays = read_npz_arrays(path)
    except ModelError as exc:
        raise DataError(str(exc)) from None
    for key in ("arch", "seed", "epoch", "best_score", "best_loss", "best_epoch", "history"):
        if key not in arrays:
            raise DataError(f"{path}: not a gatecc training checkpoint (no {key!r})")
    if str(arrays["arch"]) != arch.spec() or int(arrays["seed"]) != config.seed:
        raise DataError(f"{path}: checkpoint is of arch {str(arrays['arch'])!r} seed {int(arrays['seed'])}, "
                        f"not {arch.spec()!r} seed {config.seed}")
    best_params = jax_to_numpy(_unflatten("best", params, arrays, path))
    best = {"score": float(arrays["best_score"]), "loss": float(arrays["best_loss"]), "epoch": int(arrays["best_epoch"]), "params": best_params}
    history = [{"epoch": int(e), "soft": float(s), "hard": float(h)} for e, s, h in arrays["history"].reshape(-1, 3)]
    return (_unflatten("params", params, arrays, path), _unflatten("state", state, arrays, path), best, history,
            int(arrays["epoch"]) + 1)


def jax_to_numpy(tree):
    """The same pytree with numpy leaves."""
    import jax

    return jax.tree_util.tree_map(np.asarray, tree)
