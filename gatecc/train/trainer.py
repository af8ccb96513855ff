"""Training the soft model with optax, and judging it in hard mode.

The recipe is the references' (difflogic, DiffLogic CA): neurons start as
pass-throughs (logit 10 on gate 3, "A"), AdamW (lr 0.05, b1 0.9, b2 0.99,
weight decay 1e-2) after element-wise gradient clipping at 100, each layer in
the 4-term form softmax(w) @ C over (1, a, b, ab).  What gatecc adds, each an
option, for tasks that must end exact (the plain recipe stalls a few
patterns short; see docs/training.md):

* an entropy penalty on each neuron's gate distribution, which drives every
  neuron to one gate so the soft net and its argmax (hard) net agree;
* *boosting*: once only a few patterns are wrong in hard mode, their weight
  in the loss is raised so the gradient concentrates on them;
* *repair* (:mod:`.repair`): every few hundred epochs, when the hard net is
  nearly exact, resubstitute single neurons (new wiring and gate, chosen
  exactly on all patterns); a repaired neuron's logits become one-hot (the
  init logit on its new gate) and training goes on from there.

Activations are kept as (features, batch): gathering rows is much cheaper
than gathering columns in XLA on the CPU, forward and backward.  Wiring is
an argument of the compiled step, so repair can rewire without recompiling.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

from ..ir.planes import pack_bits
from ..model import GroupSum, Layer, LogicNet
from .repair import repair
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
    repair_every: int = 0          # epochs between repair attempts (0: never)
    repair_below: int = 12         # attempt repair only with at most this many wrong bits
    boost: float = 0.0             # loss weight of hard-wrong patterns (0: off)
    boost_below: int = 3           # boost only with at most this many wrong bits

    @classmethod
    def for_task(cls, task: Task, **overrides) -> "TrainConfig":
        """The task's defaults, with any options given overriding them."""
        base = cls(epochs=task.epochs, layers=task.layers, lr=task.lr, init_logit=task.init_logit,
                   init_noise=task.init_noise, entropy=task.entropy, batch_size=task.batch_size,
                   repair_every=task.repair_every, boost=task.boost)
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
    repairs: int = 0                 # neurons changed by repair


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


def _model_fns(task: Task):
    """Soft / hard forward passes and the losses, over (features, batch) activations.

    The layers are :mod:`gatecc.soft`'s (``neuron_coefficients``,
    ``layer_forward_t``), the same functions :func:`gatecc.train.fit.make_forward`
    uses; the wiring stays an argument so repair can rewire without recompiling.
    """
    import jax
    import jax.numpy as jnp

    from ..soft import layer_forward_t, neuron_coefficients

    def forward(params, wires, x, hard=False):
        for (a, b), w in zip(wires, params):
            x = layer_forward_t(neuron_coefficients(w, hard), x[a], x[b])
        return x, (0.0 if hard else _gate_entropy(params))

    def counts(out):
        return out.reshape(task.groupsum_k, -1, out.shape[-1]).sum(axis=1)     # (k, batch)

    def loss(params, wires, x, y, weights, entropy_weight):
        out, entropy = forward(params, wires, x)
        if task.loss == "mse":
            data = jnp.sum(weights * jnp.mean((out - y) ** 2, axis=0)) / jnp.sum(weights)
        else:
            logp = jax.nn.log_softmax(counts(out) / task.tau, axis=0)
            data = -jnp.mean(jnp.take_along_axis(logp, y[None, :], axis=0))
        return data + entropy_weight * entropy, (data, entropy)

    def hard_wrong(params, wires, x, y):
        """Per pattern: wrong output bits (mse) or misclassified (xent)."""
        out, _ = forward(params, wires, x, hard=True)
        if task.loss == "mse":
            return jnp.sum(jnp.abs(out - y), axis=0)
        return (jnp.argmax(counts(out), axis=0) != y).astype(jnp.float32)

    return forward, loss, jax.jit(hard_wrong)


def _gate_entropy(params):
    """Mean entropy of the neurons' gate distributions softmax(logits), averaged over layers."""
    import jax
    import jax.numpy as jnp

    total = 0.0
    for w in params:
        p = jax.nn.softmax(w, axis=-1)
        total = total + jnp.mean(-jnp.sum(p * jnp.log(p + 1e-12), axis=-1))
    return total / len(params)


def train(task: Task, config: TrainConfig, progress: bool = True) -> TrainResult:
    """Train ``task`` with ``config``; stops early once an exact task's hard net is exact."""
    import jax
    import jax.numpy as jnp
    import optax

    data = task.data()
    wires, logits = _init(task, config)
    _, loss, hard_wrong = _model_fns(task)
    opt = optax.chain(
        optax.clip(config.clip),
        optax.adamw(config.lr, b1=config.b1, b2=config.b2, weight_decay=config.weight_decay),
    )
    params = [jnp.asarray(w) for w in logits]
    state = opt.init(params)

    @jax.jit
    def step(params, state, wires, x, y, weights, entropy_weight):
        (_, (data_loss, entropy)), grads = jax.value_and_grad(loss, has_aux=True)(
            params, wires, x, y, weights, entropy_weight)
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state, data_loss, entropy

    def columns(x):
        return jnp.asarray(np.ascontiguousarray(x.T))

    y_of = (lambda y: jnp.asarray(y.T)) if task.loss == "mse" else (lambda y: jnp.asarray(y))
    x_train, y_train = columns(data.x_train), y_of(data.y_train)
    n = data.x_train.shape[0]
    batch = n if not config.batch_size or config.batch_size >= n else config.batch_size
    weights = jnp.ones(n, dtype=jnp.float32)
    jwires = [(jnp.asarray(a), jnp.asarray(b)) for a, b in wires]
    can_repair = config.repair_every > 0 and task.loss == "mse" and batch == n
    rng = np.random.default_rng(config.seed + 1)
    history: list[dict] = []
    bar = _progress(config.epochs, progress)
    start = time.perf_counter()
    wrong_bits = float("nan")
    repaired = 0
    epoch = 0
    for epoch in range(1, config.epochs + 1):
        if batch == n:
            params, state, data_loss, entropy = step(params, state, jwires, x_train, y_train, weights,
                                                     config.entropy)
        else:
            order = rng.permutation(n)
            for s in range(0, n - batch + 1, batch):
                idx = order[s : s + batch]
                params, state, data_loss, entropy = step(
                    params, state, jwires, columns(data.x_train[idx]), y_of(data.y_train[idx]),
                    jnp.ones(batch, dtype=jnp.float32), config.entropy)
        if epoch % config.eval_every and epoch != config.epochs:
            bar.update(1)
            continue
        wrong = hard_wrong(params, jwires, x_train, y_train)
        wrong_bits = float(jnp.sum(wrong))
        if can_repair and epoch % config.repair_every == 0 and 0 < wrong_bits <= config.repair_below:
            params, jwires, changed, wrong_bits = _repair_step(params, jwires, data, config)
            repaired += changed
            wrong = hard_wrong(params, jwires, x_train, y_train)
        if config.boost and task.loss == "mse" and wrong_bits <= config.boost_below:
            weights = jnp.maximum(weights, 1.0 + config.boost * (wrong > 0))
        hard = wrong_bits / (n * (data.y_train.shape[1] if task.loss == "mse" else 1))
        history.append({"epoch": epoch, "soft": float(data_loss), "hard": hard, "wrong": wrong_bits,
                        "entropy": float(entropy), "seconds": time.perf_counter() - start})
        bar.set_postfix(soft=f"{float(data_loss):.4g}", hard=f"{hard:.4g}", refresh=False)
        bar.update(1)
        if task.exact and wrong_bits == 0:
            break
    bar.close()
    seconds = time.perf_counter() - start
    final_wires = [(np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)) for a, b in jwires]
    net = _to_net(task, config, final_wires, params, epoch, hard)
    net.meta["repaired_neurons"] = np.array(repaired)
    test_accuracy = None
    if task.loss == "xent":
        test_wrong = hard_wrong(params, jwires, columns(data.x_test), y_of(data.y_test))
        test_accuracy = 1.0 - float(jnp.mean(test_wrong))
        net.meta["test_accuracy"] = np.array(test_accuracy)
    exact = task.exact and wrong_bits == 0
    return TrainResult(net, epoch, seconds, exact, hard, test_accuracy, history, repaired)


def _repair_step(params, jwires, data, config: TrainConfig):
    """Run :func:`repair` on the hard net; fold the changed neurons back into params and wiring."""
    import jax.numpy as jnp

    gates = [np.asarray(jnp.argmax(w, axis=-1)).astype(np.uint8) for w in params]
    wires = [(np.array(a, dtype=np.int64), np.array(b, dtype=np.int64)) for a, b in jwires]
    n = data.x_train.shape[0]
    result = repair(gates, wires, pack_bits(data.x_train.astype(np.uint8)),
                    pack_bits(data.y_train.astype(np.uint8)), n)
    if result.errors_after >= result.errors_before:
        return params, jwires, 0, float(result.errors_before)
    new_params = []
    for layer, w in enumerate(params):
        w = np.array(w)
        for j in {m[1] for m in result.moves if m[0] == layer}:
            w[j] = 0.0
            w[j, gates[layer][j]] = config.init_logit
        new_params.append(jnp.asarray(w))
    return (new_params, [(jnp.asarray(a), jnp.asarray(b)) for a, b in wires], len(result.moves),
            float(result.errors_after))


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

    return tqdm(total=total, unit="epoch", dynamic_ncols=True, leave=True, mininterval=0.5)
