"""Import torchlogix convolutional models (LogicConv2d/3d, OrPooling2d/3d, ResidualLogicBlock) as a ConvNet.

The torchlogix facts this relies on (0.2.2, checked by tests/test_torchlogix_conv.py against its eval
output) are written down in docs/formats.md, "torchlogix conv models": the ``tree_weights.{l}`` and
``connections._indices_L{l}`` layouts (eval mode takes each node's argmax, ties to the first), the same
leaf offsets at every position ``p * stride`` in padded coordinates (checked here, kept as the window in
``(c, h, w)`` order), the raw parametrization's temperature (stored as ``w / temperature``), OrPooling as
``max_pool`` on bits, torch's (C, H, W) ``Flatten``, ``GroupSum``'s ``(count + beta) / tau``, and
``ResidualLogicBlock`` as ``main(x) OR shortcut(x)`` whose projection shortcut 0.2.2 cannot build
(refused with :data:`PROJECTION`).  A state_dict lacks the layers' shapes: a JSON config file gives them
(the same section has its schema and an example).
"""

from __future__ import annotations

import json

import numpy as np

from ..errors import ModelError
from ..ir.spatial.program import Flatten, MapShape, Or, OrPool, conv_out_size
from .peers import ModuleView, as_array, build_net, is_module, scalar
from .torchlogix_binarization import BINARIZATIONS

CONV = {"LogicConv2d": 2, "LogicConv3d": 3}
POOL = {"OrPooling2d": 2, "OrPooling3d": 3}
SPATIAL = set(CONV) | set(POOL) | {"ResidualLogicBlock"}
#: Modules opened like an nn.Sequential (torchlogix's model classes are Sequentials or wrap one).
CONTAINERS = {"Sequential", "CNN", "ClgnMnist", "ClgnMnistTiny", "ClgnMnistSmall", "ClgnMnistMedium",
              "ClgnMnistLarge", "ClgnCifar10", "ClgnCifar10Small", "ClgnCifar10Medium", "ClgnCifar10Large"}
SKIP = {"Identity", "DummyBinarization"}


def _modules(view: ModuleView) -> list[ModuleView]:
    if view.name in CONTAINERS:
        return [m for child in view.children() for m in _modules(child)]
    return [view]


def is_conv_model(data) -> bool:
    """True when a torchlogix module record holds conv, pool or residual layers."""
    return is_module(data) and any(m.name in SPATIAL for m in _modules(ModuleView(data, "")))


def _tuple(value, n: int, where: str) -> tuple[int, ...]:
    if isinstance(value, (tuple, list)):
        out = tuple(int(scalar(v, where, "iu")) for v in value)
    else:
        out = (int(scalar(value, where, "iu")),) * n
    if len(out) != n:
        raise ModelError(f"{where}: expected {n} values, got {len(out)}")
    return out


class _Net:
    """The program being built: stages, value shapes and the dense head's layers."""

    def __init__(self, input_shape: MapShape | None):
        self.input = input_shape
        self.stages, self.shapes = [], [input_shape]
        self.dense, self.head, self.beta = [], None, 0.0
        self.binarize = None            # a binarization module in front of the conv layers (its encoder)

    @property
    def current(self) -> int:
        return len(self.shapes) - 1

    def add(self, stage, shape: MapShape) -> int:
        if self.dense:
            raise ModelError(f"a {stage.kind} stage follows a LogicDense layer; dense layers come last")
        self.stages.append(stage)
        self.shapes.append(shape)
        return self.current

    def need_shape(self, where: str, in_dim, channels) -> MapShape:
        """The current map's shape, which a layer's own in_dim/channels (if known) must match."""
        declared = MapShape(int(channels), tuple(in_dim)) if in_dim is not None and channels is not None else None
        if self.shapes[-1] is None:
            if declared is None:
                raise ModelError(f"{where}: cannot tell the input's shape (give it in the config's \"input\")")
            self.input = declared
            self.shapes[-1] = declared
        cur = self.shapes[self.current]
        if declared is not None and declared != cur:
            raise ModelError(f"{where}: expects a {declared} input but the previous layer gives {cur} "
                             "(the shapes do not chain)")
        return cur


def _conv(net: _Net, where: str, dim: int, attrs: dict, weights: list, indices: list, src: int) -> int:
    """A LogicConv layer as a TreeConv stage reading value ``src``."""
    from ..convnet import TreeConv

    if attrs.get("parametrization", "raw") != "raw" or int(attrs.get("lut_rank", 2)) != 2:
        raise ModelError(f"{where}: parametrization {attrs.get('parametrization')!r} with lut_rank "
                         f"{attrs.get('lut_rank', 2)}: gatecc imports raw 2-input gate trees for conv layers")
    cur = net.shapes[src] if src != net.current else net.need_shape(where, attrs.get("in_dim"), attrs.get("channels"))
    if cur.rank != dim:
        raise ModelError(f"{where}: a {dim}-D conv reads a {cur} map")
    rf = _tuple(attrs["receptive_field_size"], dim, f"{where}.receptive_field_size")
    stride = _tuple(attrs.get("stride", 1), dim, f"{where}.stride")
    padding = _tuple(attrs.get("padding", 0), dim, f"{where}.padding")
    depth = len(weights)
    if depth < 1:
        raise ModelError(f"{where}: no tree_weights (tree depth 0 is not trainable in torchlogix's raw parametrization)")
    if any(r > n + 2 * p for r, n, p in zip(rf, cur.spatial, padding)):
        raise ModelError(f"{where}: receptive field {rf} is larger than the padded input {cur} (padding {padding})")
    out = tuple(conv_out_size(n, r, s, p) for n, r, s, p in zip(cur.spatial, rf, stride, padding))
    w0 = [as_array(w, f"{where}.tree_weights.{lv}") for lv, w in enumerate(weights)]
    temperature = np.float32(scalar(attrs.get("temperature", 1.0), f"{where}.temperature"))
    if not temperature > 0 or not np.isfinite(temperature):
        raise ModelError(f"{where}: the parametrization's temperature must be a positive number, not {temperature}")
    k = w0[0].shape[1] if w0[0].ndim == 3 else -1
    levels = []
    for lv, w in enumerate(w0):
        nodes = 1 << (depth - 1 - lv)
        if w.ndim != 3 or w.shape != (nodes, k, 16) or w.dtype.kind != "f":
            raise ModelError(f"{where}.tree_weights.{lv}: {w.dtype} of shape {w.shape}, expected float ({nodes}, {k}, 16)")
        levels.append(np.ascontiguousarray(np.transpose(w, (1, 0, 2))) / temperature)
    leaves = _leaves(where, indices, k, depth, dim, out, stride)
    stage = TreeConv(src, leaves, tuple(levels), rf, stride, padding)
    return net.add(stage, MapShape(k, out))


def _leaves(where: str, indices: list, k: int, depth: int, dim: int, out, stride) -> np.ndarray:
    """(K, 2**depth, 1 + dim) window offsets (c, h, w) from torchlogix's absolute per-position indices."""
    if len(indices) != depth:
        raise ModelError(f"{where}.connections: {len(indices)} index levels for {depth} tree levels")
    idx = as_array(indices[0], f"{where}.connections._indices_L0")
    pairs, positions = 1 << (depth - 1), int(np.prod(out))
    if idx.shape != (2, k, positions, pairs, 1 + dim) or idx.dtype.kind not in "iu":
        raise ModelError(f"{where}.connections._indices_L0: {idx.dtype} of shape {idx.shape}, expected integer "
                         f"(2, {k}, {positions}, {pairs}, {1 + dim}) for {positions} output positions")
    grid = np.stack(np.meshgrid(*(np.arange(o) * s for o, s in zip(out, stride)), indexing="ij"), -1)
    starts = np.concatenate([grid.reshape(positions, dim), np.zeros((positions, 1), np.int64)], axis=1)
    base = idx[:, :, :1] - starts[None, None, :1, None, :]
    if not np.array_equal(idx - starts[None, None, :, None, :], np.broadcast_to(base, idx.shape)):
        raise ModelError(f"{where}.connections._indices_L0: the leaves' offsets differ between output positions "
                         "(not a convolution)")
    for lv in range(1, depth):
        lvl = as_array(indices[lv], f"{where}.connections._indices_L{lv}")
        n = 1 << (depth - 1 - lv)
        canon = np.arange(2 * n).reshape(n, 2).T
        if lvl.shape != canon.shape or not np.array_equal(lvl, canon):
            raise ModelError(f"{where}.connections._indices_L{lv}: expected the pairwise tree wiring {canon.tolist()}")
    offs = base[:, :, 0]                                          # (2, K, S, 1 + dim): (h, w, c)
    offs = np.concatenate([offs[..., -1:], offs[..., :-1]], axis=-1)   # (c, h, w)
    return np.stack([offs[0], offs[1]], axis=2).reshape(k, 2 * pairs, 1 + dim).astype(np.int64)


def _pool(net: _Net, where: str, dim: int, attrs: dict, src: int) -> int:
    size = _tuple(attrs["kernel_size"], dim, f"{where}.kernel_size")
    stride = _tuple(size if attrs.get("stride") is None else attrs["stride"], dim, f"{where}.stride")
    padding = _tuple(attrs.get("padding", 0), dim, f"{where}.padding")
    cur = net.shapes[src]
    if cur is None:
        raise ModelError(f"{where}: cannot tell the input's shape (pooling comes first; give the config's \"input\")")
    if cur.rank != dim or any(k > n + 2 * p for k, n, p in zip(size, cur.spatial, padding)):
        raise ModelError(f"{where}: pool window {size} does not fit the {cur} map (padding {padding})")
    out = tuple(conv_out_size(n, k, s, p) for n, k, s, p in zip(cur.spatial, size, stride, padding))
    return net.add(OrPool(src, size, stride, padding), MapShape(cur.channels, out))


#: Why a ResidualLogicBlock with a projection shortcut (downsample, or in_channels != out_channels) is refused.
PROJECTION = ("a projection shortcut (downsample=True or in_channels != out_channels) is not imported: torchlogix "
              "0.2.2 cannot build or run one (its depth-0, lut_rank=1 conv is refused by the raw and light "
              "parametrizations and fails in warp's connection setup), so there is no eval output to match")

# ---------------------------------------------------------------------------
# layers, from a module record or from a state_dict + config

_ATTRS = ("in_dim", "channels", "receptive_field_size", "stride", "padding", "lut_rank", "kernel_size", "k", "tau",
          "beta", "start_dim", "end_dim", "tree_depth", "downsample", "in_channels", "out_channels")


class _ModuleLayer:
    """A layer read from a pickled or live module."""

    def __init__(self, view: ModuleView):
        self.view, self.type, self.where = view, view.name, view.where()
        self.attrs = {a: view.get(a) for a in _ATTRS if view.get(a) is not None}
        param = view.get("parametrization")
        if param is not None and is_module(param):
            from .torchlogix import PARAMETRIZATIONS

            pview = ModuleView(param, "")
            self.attrs["parametrization"] = PARAMETRIZATIONS.get(pview.name, pview.name)
            if pview.get("temperature") is not None:
                self.attrs["temperature"] = pview.get("temperature")

    def conv_tensors(self):
        tw, conn = self.view.get("tree_weights"), self.view.get("connections")
        if tw is None or conn is None or not is_module(tw) or not is_module(conn):
            raise ModelError(f"{self.where}: has no tree_weights or connections module")
        tw, conn = ModuleView(tw, ""), ModuleView(conn, "")
        if conn.name != "FixedConvConnections":
            raise ModelError(f"{self.where}: connections {conn.name} are not supported (fixed conv connections only)")
        depth = len((tw.state.get("_parameters") or {}))
        return ([tw.get(str(lv)) for lv in range(depth)], [conn.get(f"_indices_L{lv}") for lv in range(depth)])

    def dense(self):
        from . import torchlogix as tl

        m, conn = self.view, self.view.get("connections")
        if conn is None or not is_module(conn):
            raise ModelError(f"{self.where}: has no connections module")
        conn = ModuleView(conn, f"{m.path}.connections")
        learn = conn.name == "LearnableDenseConnections"
        if m.get("weight") is None or conn.get("indices") is None:
            raise ModelError(f"{self.where}: has no weight or connections.indices")
        return tl._layer(m.path, m.get("weight"), conn.get("indices"), conn.get("weights") if learn else None,
                         self.attrs.get("in_dim"), self.attrs.get("parametrization"))

    def parts(self, name: str) -> list:
        sub = self.view.get(name)
        if sub is None or not is_module(sub):
            raise ModelError(f"{self.where}: has no '{name}' module")
        view = ModuleView(sub, f"{self.view.path}.{name}")
        if name == "shortcut" and view.name != "Identity":
            raise ModelError(f"{self.where}: {PROJECTION}")
        return [_ModuleLayer(m) for m in (view.children() if view.name == "Sequential" else [view])]


class _ConfigLayer:
    """A layer described by a config entry, its tensors in a flat state_dict under ``name.``."""

    def __init__(self, entry, flat: dict, used: set, index: int):
        if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
            raise ModelError(f"config layers[{index}]: expected an object with a \"type\"")
        self.type, self.name = entry["type"], str(entry.get("name", ""))
        self.where = f"config layers[{index}] ({self.type}{' ' + repr(self.name) if self.name else ''})"
        self.attrs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in entry.items() if k not in ("type", "name")}
        self.flat, self.used, self.index = flat, used, index

    def _get(self, key: str):
        full = f"{self.name}.{key}" if self.name else key
        if full not in self.flat:
            raise ModelError(f"{self.where}: the state_dict has no {full!r}")
        self.used.add(full)
        return self.flat[full]

    def conv_tensors(self):
        pre = f"{self.name}.tree_weights." if self.name else "tree_weights."
        depth = sum(1 for k in self.flat if k.startswith(pre))
        return ([self._get(f"tree_weights.{lv}") for lv in range(depth)],
                [self._get(f"connections._indices_L{lv}") for lv in range(depth)])

    def dense(self):
        from . import torchlogix as tl

        learn = (f"{self.name}.connections.weights" if self.name else "connections.weights") in self.flat
        return tl._layer(self.name or "<root>", self._get("weight"), self._get("connections.indices"),
                         self._get("connections.weights") if learn else None, self.attrs.get("in_dim"),
                         self.attrs.get("parametrization"))

    def parts(self, name: str) -> list:
        """A residual block's main path or shortcut, rebuilt from its constructor arguments (as torchlogix builds it)."""
        a = self.attrs
        if not a.get("downsample") and a.get("in_channels") == a.get("out_channels") and name == "shortcut":
            return [_ConfigLayer({"type": "Identity"}, self.flat, self.used, self.index)]
        if name == "shortcut":
            raise ModelError(f"{self.where}: {PROJECTION}")
        conv = {"type": "LogicConv2d", "receptive_field_size": a.get("receptive_field_size", 3),
                "padding": a.get("padding", 1)}
        pool = {"type": "OrPooling2d", "kernel_size": 2, "stride": 2} if a.get("downsample") else {"type": "Identity"}
        entries = [dict(conv, name=f"{self.name}.main.0"), pool, dict(conv, name=f"{self.name}.main.2"), pool]
        return [_ConfigLayer(e, self.flat, self.used, self.index) for e in entries]


def _run(net: _Net, layers: list, src: int) -> int:
    """Add ``layers`` reading value ``src``; returns the value they produce."""
    for layer in layers:
        t, a = layer.type, layer.attrs
        if net.head is not None:
            raise ModelError(f"{layer.where} follows the GroupSum head; the head must come last")
        if t in SKIP:
            continue
        if t in BINARIZATIONS:
            if net.stages or net.dense or net.binarize is not None or not hasattr(layer, "view"):
                raise ModelError(f"{layer.where}: a binarization is imported only first, in a module file")
            net.binarize = layer.view
            continue
        if t in CONV:
            weights, indices = layer.conv_tensors()
            src = _conv(net, layer.where, CONV[t], a, weights, indices, src)
        elif t in POOL:
            src = _pool(net, layer.where, POOL[t], a, src)
        elif t == "ResidualLogicBlock":
            if src == net.current:
                net.need_shape(layer.where, (a["in_dim"],) * 2 if "in_dim" in a else None, a.get("in_channels"))
            shortcut = layer.parts("shortcut")          # refused first when it is a projection
            main = _run(net, layer.parts("main"), src)
            short = _run(net, shortcut, src)
            if net.shapes[main] != net.shapes[short]:
                raise ModelError(f"{layer.where}: main path {net.shapes[main]} and shortcut {net.shapes[short]} differ")
            src = net.add(Or(main, short), net.shapes[main])
        elif t == "Flatten":
            if int(a.get("start_dim", 1)) != 1 or int(a.get("end_dim", -1)) != -1:
                raise ModelError(f"{layer.where}: only Flatten(start_dim=1, end_dim=-1) is supported")
            if net.shapes[src] is None:
                raise ModelError(f"{layer.where}: cannot tell the input's shape before Flatten")
            src = net.add(Flatten(src), MapShape(net.shapes[src].size, ()))
        elif t == "LogicDense":
            if net.shapes[src] is None or net.shapes[src].rank:
                raise ModelError(f"{layer.where}: LogicDense reads a map; put a Flatten before it")
            net.dense.append(layer.dense())
        elif t == "GroupSum":
            from ..model import GroupSum

            net.head = GroupSum(int(scalar(a.get("k"), f"{layer.where}.k", "iu")),
                                float(scalar(a.get("tau", 1.0), f"{layer.where}.tau")))
            net.beta = float(scalar(a.get("beta", 0.0), f"{layer.where}.beta"))
        else:
            raise ModelError(f"{layer.where} is not supported in a conv model (gatecc imports LogicConv2d/3d, "
                             "OrPooling2d/3d, ResidualLogicBlock, Flatten, LogicDense, GroupSum)")
    return src


def _finish(net: _Net, meta: dict):
    from ..convnet import ConvNet, DenseHead
    from .peers import PeerLayer

    if net.input is None:
        raise ModelError("no conv or pooling layer tells the input's shape")
    stages = list(net.stages)
    if net.dense:
        if not all(isinstance(x, PeerLayer) for x in net.dense):
            raise ModelError("warp/light LogicDense layers after conv layers are not supported (raw gates only)")
        head_net = build_net(net.dense, net.head, net.shapes[-1].size)
        stages.append(DenseHead(net.current, head_net))
    elif net.head is not None:
        raise ModelError("a GroupSum head needs LogicDense layers before it (after the Flatten)")
    if net.beta:
        meta = dict(meta, groupsum_beta=np.array(net.beta))
    return ConvNet(net.input, tuple(stages), meta)


def convnet_from_module(data):
    """The ConvNet of a torchlogix conv model (a module record read from a file, or a live module)."""
    layers = [_ModuleLayer(m) for m in _modules(ModuleView(data, ""))]
    net = _Net(None)
    _run(net, layers, 0)
    conv = _finish(net, {})
    if net.binarize is None:
        return conv
    from ..convnet import ConvNet
    from .torchlogix_binarization import image_encoder

    return ConvNet(conv.input, conv.stages, conv.meta, image_encoder(net.binarize, conv.input))


def read_config(text: str, where: str) -> dict:
    """The config file of a conv state_dict (see the module docstring)."""
    try:
        config = json.loads(text)
    except ValueError as exc:
        raise ModelError(f"{where}: not JSON ({exc})") from None
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ModelError(f"{where}: expected an object with a \"layers\" list")
    return config


def convnet_from_state_dict(state, config: dict, where: str):
    """The ConvNet of a torchlogix conv ``state_dict`` and its config (see the module docstring)."""
    flat, used = {str(k): v for k, v in state.items()}, set()
    shape = config.get("input")
    if shape is not None:
        if not isinstance(shape, list) or not 2 <= len(shape) <= 4 or not all(isinstance(v, int) and v > 0 for v in shape):
            raise ModelError(f"{where}: \"input\" must be [C, H, W] (or [C, D, H, W]) of positive integers")
        shape = MapShape(shape[0], tuple(shape[1:]))
    net = _Net(shape)
    _run(net, [_ConfigLayer(e, flat, used, i) for i, e in enumerate(config["layers"])], 0)
    for key in flat:
        if key not in used and not key.endswith(("_export_lut_ids", "_export_indices")) and "_export_lut_ids_L" not in key:
            raise ModelError(f"unexpected key {key!r}: no layer of {where} reads it")
    return _finish(net, {})


def read_conv_state(state, path, config_path=None):
    """A conv state_dict read from ``path``, with its config: ``config_path``, else ``<stem>.config.json`` beside it."""
    from pathlib import Path

    from ..files import read_file_text

    path = Path(path)
    config_path = Path(config_path) if config_path is not None else path.with_name(path.with_suffix("").name + ".config.json")
    if not config_path.exists():
        raise ModelError(f"a torchlogix conv state_dict does not hold its layers' shapes: give a JSON config "
                         f"({config_path.name} beside it, or --wiring FILE.json; see docs/formats.md)")
    where = str(config_path)
    return convnet_from_state_dict(state, read_config(read_file_text(config_path), where), where)
