"""Training on user data: :func:`fit` (behind ``gatecc train DATA`` and :func:`gatecc.train`).

The forward pass is :mod:`gatecc.soft`'s (``neuron_coefficients``,
``layer_forward_t``, ``soft_wiring``) in the (features, batch) layout, so
the trained net is exactly what :func:`gatecc.soft_eval` evaluates.

* Inputs: features are thermometer-coded by an encoder fitted on the
  training rows (:mod:`gatecc.encoder`), stored in the model.
* Loss: cross-entropy over GroupSum scores (classes), or MSE / BCE (bits).
* Optimiser: AdamW after element-wise clipping (the references' recipe).
* Every epoch the hard (argmax) net is scored on the validation rows; the
  best epoch's parameters are kept and training stops after ``patience``
  epochs without improvement.
* Minibatches are sharded over all JAX devices (``jax.sharding``,
  data-parallel; parameters replicated), so a GPU or several are used when
  JAX has them; after ``jax.distributed.initialize`` the mesh spans every
  host, each host feeding only its own devices' shards of each batch.  Batches are drawn from a per-epoch seeded permutation, so a
  run resumed from a checkpoint continues exactly as the uninterrupted one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..encoder import fit_encoder, fit_image_encoder
from ..model import GroupSum, Layer, LogicNet
from .arch import Arch, ArchError, default_arch, parse_arch, resolve
from .data import DataError, Table, check_targets, split_rows
from .wiring import make_wiring


@dataclass(frozen=True)
class FitConfig:
    """Everything that decides a run besides the data."""

    arch: str | Arch | None = None     # None: :func:`default_arch`
    epochs: int = 200
    patience: int = 30                 # epochs without a better validation score before stopping
    validation: float = 0.1
    seed: int = 0
    lr: float = 0.05
    weight_decay: float = 1e-2
    clip: float = 100.0
    batch_size: int | None = None      # None: n_train // 8, clipped to 16..128 (enough steps on a small table)
    encode: str = "quantile"
    bits_per_feature: int = 4          # 4 beats 8 on the 8x8 digits (97.8% vs 96.7% hard test accuracy)
    loss: str | None = None            # None: xent for classes, mse for bits; or "bce"
    init_noise: float = 1.0            # std of the random-normal initial gate logits
    shift: int = 0                     # conv nets: random shifts of up to this many cells per epoch (augment)


@dataclass
class FitResult:
    """The best net and how the run went."""

    net: LogicNet
    epochs: int
    best_epoch: int
    best_validation: float             # hard validation accuracy (classes) or bit accuracy
    seconds: float
    test_accuracy: float | None
    samples_per_second: float
    history: list[dict] = field(default_factory=list)


def _init(arch: Arch, n_inputs: int, rng: np.random.Generator, config: FitConfig):
    """(static wiring per layer, parameters per layer) for ``arch``."""
    static, params, prev = [], [], n_inputs
    for d in arch.layers:
        a, b = make_wiring("random" if d.wiring == "random" else "unique", prev, d.width, rng)
        g = (rng.standard_normal((d.width, 16)) * config.init_noise).astype(np.float32)
        if d.wiring == "learnable":
            # Candidate 0 is the unique wiring's choice; zero logits make it the initial argmax.
            ca = np.concatenate([a[:, None], rng.integers(0, prev, (d.width, d.candidates - 1))], axis=1)
            cb = np.concatenate([b[:, None], rng.integers(0, prev, (d.width, d.candidates - 1))], axis=1)
            zeros = np.zeros((d.width, d.candidates), np.float32)
            static.append(("learnable", ca, cb))
            params.append({"g": g, "wa": zeros, "wb": zeros.copy()})
        else:
            static.append(("fixed", a, b))
            params.append({"g": g})
        prev = d.width
    return static, params


def make_forward(static):
    """forward(params, x (features, batch), hard) -> last layer (width, batch), via gatecc.soft."""
    from ..soft import layer_forward_t, neuron_coefficients, soft_wiring

    # numpy, not device arrays: constants of the compiled step, valid on every device of any mesh.
    wires = [(kind, np.asarray(a, np.int32), np.asarray(b, np.int32)) for kind, a, b in static]

    def forward(params, x, hard=False):
        for (kind, a, b), p in zip(wires, params):
            if kind == "learnable":
                xa, xb = soft_wiring(a, p["wa"], x, hard), soft_wiring(b, p["wb"], x, hard)
            else:
                xa, xb = x[a], x[b]
            x = layer_forward_t(neuron_coefficients(p["g"], hard), xa, xb)
        return x

    return forward


def _losses(forward, head, loss: str, scores=None):
    """(loss_fn, hard_right) over (features, batch) x; ``scores`` (a conv net's) replaces the dense head's."""
    import jax
    import jax.numpy as jnp

    def dense_scores(params, x, hard=False):
        out = forward(params, x, hard)
        if head is None:
            return out
        return out.reshape(head.k, -1, out.shape[-1]).sum(axis=1) / head.tau     # (k, batch)

    scores = scores or dense_scores

    def loss_fn(params, x, y):
        s = scores(params, x)
        if loss == "xent":
            return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(s, axis=0), y[None, :], axis=0))
        if loss == "bce":
            p = jnp.clip(s, 1e-6, 1 - 1e-6)
            return -jnp.mean(y * jnp.log(p) + (1 - y) * jnp.log(1 - p))
        return jnp.mean((s - y) ** 2)

    def hard_right(params, x, y):
        """Per row: 1 if the hard class is right (classes), else the fraction of right bits."""
        s = scores(params, x, hard=True)
        if head is not None:
            return (jnp.argmax(s, axis=0) == y).astype(jnp.float32)
        return jnp.mean((s > 0.5) == (y > 0.5), axis=0).astype(jnp.float32)

    return loss_fn, hard_right


def _mesh_shardings():
    """(batch sharding for (features, batch) x, for y, replicated, devices): data-parallel over all devices.

    ``jax.devices()`` spans every process of a multi-host run
    (``jax.distributed.initialize``); on one host it is the local devices.
    """
    import jax
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

    devices = jax.devices()
    mesh = Mesh(np.array(devices), ("data",))
    return (NamedSharding(mesh, P(None, "data")), NamedSharding(mesh, P("data")),
            NamedSharding(mesh, P()), len(devices))


def _global(x: np.ndarray, sharding):
    """A global array of ``x`` laid out by ``sharding``; each process copies only its own devices' shards.

    Every process holds the same ``x`` (the same data, split and batch
    order), so no host sends another its rows.
    """
    import jax

    x = np.asarray(x)
    return jax.make_array_from_callback(x.shape, sharding, lambda index: x[index])


def _local(a) -> np.ndarray:
    """This process's copy of a replicated (global) array."""
    return np.asarray(a.addressable_data(0))


def prepare(table: Table, config: FitConfig):
    """Split, encode and resolve the architecture: (arch, encoder, map shape, train/val bits and targets).

    The map shape (a MapShape of the encoded image's bit planes) is None for
    dense nets; conv architectures need image rows (``table.image``).
    """
    n = table.x.shape[0]
    train_idx, val_idx = split_rows(n, config.validation, config.seed, "validation")
    arch = None if config.arch is None else parse_arch(config.arch) if isinstance(config.arch, str) else config.arch
    shape = None
    if arch is not None and arch.convs:
        if table.image is None:
            raise ArchError("conv(...) and orpool(...) need image inputs: x of shape (rows, C, H, W) or (rows, H, W)")
        from ..ir.spatial.program import MapShape

        encoder, planes = fit_image_encoder(table.x[train_idx], table.image, config.encode, config.bits_per_feature)
        shape = MapShape(planes, tuple(table.image[1:]))
    else:
        encoder = fit_encoder(table.x[train_idx], config.encode, config.bits_per_feature)
    if config.shift < 0 or (config.shift and shape is None):
        raise ArchError(f"shift {config.shift}: random-shift augmentation takes a count of cells >= 0 and needs "
                        "image inputs with a conv architecture")
    bits = encoder.encode(table.x).astype(np.float32)
    k = len(table.classes) if table.is_classification else None
    out_bits = None if table.is_classification else table.y.shape[1]
    arch = resolve(arch or default_arch(encoder.n_bits, k, out_bits), k, out_bits)
    return arch, encoder, shape, bits[train_idx], table.y[train_idx], bits[val_idx], table.y[val_idx]


def fit(table: Table, config: FitConfig = FitConfig(), progress: bool = False, checkpoint=None,
        resume=None) -> FitResult:
    """Train on ``table``; returns the net of the best validation epoch.

    ``checkpoint``: a path written after every epoch (parameters, optimiser
    state, best so far); ``resume``: a checkpoint to continue from.
    """
    loss = config.loss or ("xent" if table.is_classification else "mse")
    if (loss == "xent") != table.is_classification:
        raise DataError(f"loss {loss!r} does not fit the targets ({'classes' if table.is_classification else 'bits'})")
    arch, encoder, shape, x_tr, y_tr, x_val, y_val = prepare(table, config)   # data problems surface before JAX loads

    import jax
    import jax.numpy as jnp
    import optax

    from . import checkpoint as ckpt
    from .progress import progress_bar

    rng = np.random.default_rng(config.seed)
    if shape is None:
        static, params = _init(arch, encoder.n_bits, rng, config)
        loss_fn, hard_right = _losses(make_forward(static), arch.head, loss)
    else:                                   # a conv net: gatecc.convsoft's relaxations (train/convforward)
        from .convnets import conv_scores, init_conv_trainer, trainer_params

        static = init_conv_trainer(arch, shape, rng, config.init_noise)      # (ConvNet, learnable wiring)
        params = trainer_params(*static)
        loss_fn, hard_right = _losses(None, arch.head, loss, conv_scores(*static))
    opt = optax.chain(optax.clip(config.clip), optax.adamw(config.lr, b1=0.9, b2=0.99,
                                                            weight_decay=config.weight_decay))
    n = x_tr.shape[0]
    xs, ys, rep, n_dev = _mesh_shardings()
    batch = min(config.batch_size or max(16, min(128, n // 8)), n)
    batch = max(n_dev, batch - batch % n_dev)        # every device gets the same share
    def replicated(tree):
        return jax.tree_util.tree_map(lambda a: _global(np.asarray(a), rep), tree)

    def local(tree):
        return jax.tree_util.tree_map(_local, tree)

    best = {"score": -1.0, "loss": float("inf"), "epoch": 0, "params": params}
    params = replicated(params)
    state = jax.jit(opt.init)(params)
    history: list[dict] = []
    first = 1
    if resume is not None:
        params, state, best, history, first = ckpt.load(resume, local(params), local(state), arch, config)
        params, state = replicated(params), replicated(state)

    @jax.jit
    def step(params, state, x, y):
        value, grads = jax.value_and_grad(loss_fn)(params, x, y)
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state, value

    score = jax.jit(lambda p, x, y: (jnp.mean(hard_right(p, x, y)), loss_fn(p, x, y)))
    x_val_j, y_val_j = _global(x_val.T, rep), _global(y_val.T if y_val.ndim == 2 else y_val, rep)
    x_cols = np.ascontiguousarray(x_tr.T)
    if config.shift:
        from .augment import epoch_choice, shifted_copies

        copies = shifted_copies(x_cols, shape, config.shift)
    bar = progress_bar(config.epochs, first - 1, progress)
    start, trained = time.perf_counter(), 0
    epoch = first - 1
    for epoch in range(first, config.epochs + 1):
        order = np.random.default_rng([config.seed, epoch]).permutation(n)
        losses = []
        pick = epoch_choice(len(copies), n, config.seed, epoch) if config.shift else None
        for s in range(0, n - batch + 1, batch):
            idx = order[s : s + batch]
            yb = y_tr[idx].T if y_tr.ndim == 2 else y_tr[idx]
            xb = x_cols[:, idx] if pick is None else np.ascontiguousarray(copies[pick[idx], :, idx].T)
            params, state, value = step(params, state, _global(xb, xs),
                                        _global(yb, ys if yb.ndim == 1 else xs))
            losses.append(value)
            trained += batch
        soft = float(np.mean([float(_local(v)) for v in losses]))
        val, val_loss = (float(_local(v)) for v in score(params, x_val_j, y_val_j))
        history.append({"epoch": epoch, "soft": soft, "hard": val})
        # Ties on the hard score (common on a small validation split) go to the lower soft validation loss.
        if val > best["score"] or (val == best["score"] and val_loss < best["loss"]):
            best = {"score": val, "loss": val_loss, "epoch": epoch, "params": local(params)}
        bar.set_postfix(loss=f"{soft:.4g}", val=f"{val:.4f}", best=f"{best['score']:.4f}", refresh=False)
        bar.update(1)
        if checkpoint is not None and jax.process_index() == 0:     # one writer in a multi-host run
            ckpt.save(checkpoint, local(params), local(state), best, history, epoch, arch, config)
        if epoch - best["epoch"] >= config.patience:
            break
    bar.close()
    seconds = time.perf_counter() - start
    net = to_net(arch, static, best["params"], encoder, table, config, epoch, best)
    test = None
    if table.x_test is not None:
        test = hard_accuracy(net, table.x_test, table.y_test)
        net.meta["test_accuracy"] = np.array(test)
    return FitResult(net, epoch, best["epoch"], best["score"], seconds, test,
                     trained / seconds if seconds else 0.0, history)


def hard_accuracy(net, x, y) -> float:
    """Hard (argmax-gate) accuracy of ``net`` (a LogicNet or ConvNet) on raw features: classes, or bits."""
    from ..soft import soft_eval

    out = soft_eval(net, x, hard=True)
    if net.groupsum is not None:
        return float(np.mean(np.argmax(out, axis=1) == y))
    return float(np.mean((out > 0.5) == (np.asarray(y) > 0.5)))


def to_net(arch: Arch, static, params, encoder, table: Table, config: FitConfig, epochs: int, best) -> LogicNet:
    """The LogicNet of ``params``: soft logits, the argmax of any learnable wiring, the encoder.

    For a conv net (``static`` is its initial ConvNet and learnable wiring)
    the ConvNet with the trained logits, the argmax wiring and the encoder.
    """
    from ..soft import hard_wiring

    meta = _meta(arch, table, config, epochs, best)
    if not isinstance(static, list):
        from .convnets import attach_encoder, trained_convnet

        net = trained_convnet(*static, params)
        net.meta.update(meta)
        return attach_encoder(net, encoder)
    layers = []
    for (kind, a, b), p in zip(static, params):
        if kind == "learnable":
            a, b = hard_wiring(a, p["wa"]), hard_wiring(b, p["wb"])
        layers.append(Layer(np.asarray(a, np.int64), np.asarray(b, np.int64), logits=np.asarray(p["g"], np.float32)))
    head = GroupSum(arch.head.k, arch.head.tau) if arch.head else None
    return LogicNet(encoder.n_bits, layers, head, meta, encoder)


def _meta(arch: Arch, table: Table, config: FitConfig, epochs: int, best) -> dict:
    meta = {"arch": np.array(arch.spec()), "seed": np.array(config.seed), "epochs": np.array(epochs),
            "best_epoch": np.array(best["epoch"]), "validation_accuracy": np.array(best["score"]),
            "encode": np.array(f"{config.encode}:{config.bits_per_feature}")}
    if config.shift:
        meta["shift"] = np.array(config.shift)
    if table.classes is not None:
        meta["classes"] = np.asarray(table.classes)
    if table.features:
        meta["features"] = np.array(table.features)
    if table.image is not None:
        meta["image"] = np.asarray(table.image, np.int64)
    return meta


def train(x, y, *, arch=None, epochs: int = 200, validation: float = 0.1, seed: int = 0, x_test=None,
          y_test=None, progress: bool = False, **options) -> LogicNet:
    """Train a logic-gate net on features ``x`` and labels or 0/1 bit targets ``y``.

    Returns the LogicNet of the best validation epoch, with its input
    encoder (a ConvNet for a conv ``arch``, whose ``x`` are images
    (rows, C, H, W) or (rows, H, W)); ``options`` are the other :class:`FitConfig` fields
    (``lr``, ``batch_size``, ``patience``, ``encode``, ``bits_per_feature``,
    ``loss``, ...).
    """
    table = check_targets(x, y, x_test, y_test)
    config = FitConfig(arch=arch, epochs=epochs, validation=validation, seed=seed, **options)
    return fit(table, config, progress=progress).net
