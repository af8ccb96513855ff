"""Training the soft model with optax, and judging it in hard mode.

The recipe is the references' (difflogic, DiffLogic CA): neurons start as
pass-throughs (logit 10 on gate 3, "A"), AdamW (lr 0.05, b1 0.9, b2 0.99,
weight decay 1e-2) after element-wise gradient clipping at 100, each layer in
the 4-term form softmax(w) @ C (1, a, b, ab).  Two additions, both options:

* an entropy penalty on each neuron's gate distribution, which drives each
  neuron to a single gate so the soft net and its argmax (hard) net agree;
* noise on the initial logits, which breaks the symmetry between neurons
  with identical wiring (a 128-wide layer over 9 inputs has only 36 pairs).

Activations are kept as (features, batch): gathering rows is much cheaper
than gathering columns in XLA on the CPU, forward and backward.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

from ..model import GroupSum, Layer, LogicNet
from ..soft import COEFFICIENTS
from .tasks import Task
from .wiring import make_wiring


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run besides the task's data."""

    seed: int = 0
    epochs: int = 100
    layers: tuple[int, ...] = (64,)
    wiring: str = "unique"
    lr: float = 0.05
    b1: float = 0.9
    b2: float = 0.99
    weight_decay: float = 1e-2
    clip: float = 100.0
    init_logit: float = 10.0
    init_noise: float = 0.0
    entropy: float = 0.0
    batch_size: int | None = None
    eval_every: int = 10

    @classmethod
    def for_task(cls, task: Task, **overrides) -> "TrainConfig":
        """The task's defaults, with any options given overriding them."""
        base = cls(epochs=task.epochs, layers=task.layers, lr=task.lr, init_logit=task.init_logit,
                   init_noise=task.init_noise, entropy=task.entropy, batch_size=task.batch_size)
        return replace(base, **{k: v for k, v in overrides.items() if v is not None})


@dataclass
class TrainResult:
    """The trained net and how the run went."""

    net: LogicNet
    epochs: int                      # epochs actually run
    seconds: float
    exact: bool                      # hard net exact on the training set
    hard_train: float                # hard loss (mse tasks) or error rate (xent tasks) on training data
    test_accuracy: float | None      # classification tasks: hard accuracy on held-out data
    history: list[dict] = field(default_factory=list)


def _init(task: Task, config: TrainConfig):
    rng = np.random.default_rng(config.seed)
    wires, logits, prev = [], [], task.n_inputs
    for width in config.layers:
        wires.append(make_wiring(config.wiring, prev, width, rng))
        w = np.zeros((width, 16), dtype=np.float32)
        w[:, 3] = config.init_logit
        if config.init_noise:
            w += (rng.standard_normal(w.shape) * config.init_noise).astype(np.float32)  # break symmetry
        logits.append(w)
        prev = width
    return wires, logits


def _model_fns(task: Task, wires):
    """Soft / hard forward passes and the loss, over (features, batch) activations."""
    import jax
    import jax.numpy as jnp
    import optax

    c = jnp.asarray(COEFFICIENTS)
    wiring = [(jnp.asarray(a), jnp.asarray(b)) for a, b in wires]

    def forward(params, x, hard=False):
        entropy = 0.0
        for (a, b), w in zip(wiring, params):
            if hard:
                coef = c[jnp.argmax(w, axis=-1)]
            else:
                p = jax.nn.softmax(w, axis=-1)
                coef = p @ c
                entropy = entropy + jnp.mean(-jnp.sum(p * jnp.log(p + 1e-12), axis=-1))
            xa, xb = x[a], x[b]
            x = coef[:, 0:1] + coef[:, 1:2] * xa + coef[:, 2:3] * xb + coef[:, 3:4] * (xa * xb)
        return x, entropy / len(params)

    def scores(out):
        k = task.groupsum_k
        return out.reshape(k, -1, out.shape[-1]).sum(axis=1) / task.tau   # (k, batch)

    def loss(params, x, y, entropy_weight):
        out, entropy = forward(params, x)
        if task.loss == "mse":
            data = jnp.mean((out - y) ** 2)
        else:
            logp = jax.nn.log_softmax(scores(out), axis=0)
            data = -jnp.mean(jnp.take_along_axis(logp, y[None, :], axis=0))
        return data + entropy_weight * entropy, (data, entropy)

    def hard_metric(params, x, y):
        out, _ = forward(params, x, hard=True)
        if task.loss == "mse":
            return jnp.mean((out - y) ** 2)
        counts = out.reshape(task.groupsum_k, -1, out.shape[-1]).sum(axis=1)
        return jnp.mean(jnp.argmax(counts, axis=0) != y)   # error rate

    return forward, loss, jax.jit(hard_metric), optax


def train(task: Task, config: TrainConfig, progress: bool = True) -> TrainResult:
    """Train ``task`` with ``config``; stops early once an exact task's hard net is exact."""
    import jax
    import jax.numpy as jnp

    data = task.data()
    wires, logits = _init(task, config)
    _, loss, hard_metric, optax = _model_fns(task, wires)
    opt = optax.chain(
        optax.clip(config.clip),
        optax.adamw(config.lr, b1=config.b1, b2=config.b2, weight_decay=config.weight_decay),
    )
    params = [jnp.asarray(w) for w in logits]
    state = opt.init(params)

    @jax.jit
    def step(params, state, x, y, entropy_weight):
        (_, (data_loss, entropy)), grads = jax.value_and_grad(loss, has_aux=True)(params, x, y, entropy_weight)
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state, data_loss, entropy

    def columns(x):
        return jnp.asarray(np.ascontiguousarray(x.T))

    y_of = (lambda y: jnp.asarray(y.T)) if task.loss == "mse" else (lambda y: jnp.asarray(y))
    x_train, y_train = columns(data.x_train), y_of(data.y_train)
    n = data.x_train.shape[0]
    batch = n if not config.batch_size or config.batch_size >= n else config.batch_size
    rng = np.random.default_rng(config.seed + 1)
    history: list[dict] = []
    bar = _progress(config.epochs, progress)
    start = time.perf_counter()
    hard = float("nan")
    epoch = 0
    for epoch in range(1, config.epochs + 1):
        if batch == n:
            params, state, data_loss, entropy = step(params, state, x_train, y_train, config.entropy)
        else:
            order = rng.permutation(n)
            for s in range(0, n - batch + 1, batch):
                idx = order[s : s + batch]
                params, state, data_loss, entropy = step(
                    params, state, columns(data.x_train[idx]), y_of(data.y_train[idx]), config.entropy)
        if epoch % config.eval_every == 0 or epoch == config.epochs:
            hard = float(hard_metric(params, x_train, y_train))
            history.append({"epoch": epoch, "soft": float(data_loss), "hard": hard, "entropy": float(entropy),
                            "seconds": time.perf_counter() - start})
            bar.set_postfix(soft=f"{float(data_loss):.4g}", hard=f"{hard:.4g}")
            if task.exact and hard == 0.0:
                bar.update(epoch - bar.n)
                break
        bar.update(1)
    bar.close()
    seconds = time.perf_counter() - start
    net = _to_net(task, config, wires, params, epoch, hard)
    test_accuracy = None
    if task.loss == "xent":
        test_accuracy = 1.0 - float(hard_metric(params, columns(data.x_test), y_of(data.y_test)))
        net.meta["test_accuracy"] = np.array(test_accuracy)
    return TrainResult(net, epoch, seconds, task.exact and hard == 0.0, hard, test_accuracy, history)


def _to_net(task: Task, config: TrainConfig, wires, params, epochs: int, hard: float) -> LogicNet:
    layers = [Layer(a, b, logits=np.asarray(w, dtype=np.float32)) for (a, b), w in zip(wires, params)]
    head = GroupSum(task.groupsum_k, task.tau) if task.groupsum_k else None
    meta = {
        "task": np.array(task.name),
        "seed": np.array(config.seed),
        "epochs": np.array(epochs),
        "wiring": np.array(config.wiring),
        "hard_train_loss": np.array(hard),
    }
    return LogicNet(task.n_inputs, layers, head, meta)


class _NoBar:
    """A progress bar that shows nothing (for library use and tests)."""

    def __init__(self):
        self.n = 0

    def update(self, k=1):
        self.n += k

    def set_postfix(self, **kw):
        pass

    def close(self):
        pass


def _progress(total: int, enabled: bool):
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit="epoch", dynamic_ncols=True, leave=True)
