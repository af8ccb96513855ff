"""Run gatecc's WGSL compute shaders through wgpu (wgpu-native).

The GPU (adapter and device) is looked up once per process, on first use,
and memoised by :func:`open_gpu`; every kernel shares it, so only the first
compile pays for the lookup.  ``$GATECC_WGPU_ADAPTER`` picks an adapter by a
case-insensitive substring of its description (name, adapter type, backend),
e.g. ``H100``, ``llvmpipe`` or ``Vulkan``; unset, wgpu's high-performance
choice is taken.

A kernel works on the shared uint64 planes by reinterpreting them: a
little-endian uint64 word holding samples 64k..64k+63 is exactly the two u32
words holding samples 64k..64k+31 and 64k+32..64k+63, so nothing is repacked.
"""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass
from functools import cache

import numpy as np

from ..errors import BuildError, TargetError
from .schedule import Schedule
from .target import Kernel
from .abi import BINDING_IN, BINDING_MID, BINDING_OUT, BINDING_PARAMS, WORKGROUP_SIZE

ADAPTER_ENV = "GATECC_WGPU_ADAPTER"

INSTALL_HINT = "install a Vulkan, Metal or D3D12 driver (on Debian: mesa-vulkan-drivers)"


@dataclass(frozen=True)
class Gpu:
    """An opened adapter and its device."""

    adapter: object
    device: object

    @property
    def name(self) -> str:
        """The adapter's device name, e.g. 'NVIDIA H100 80GB HBM3'."""
        return self.adapter.info["device"]

    @property
    def backend(self) -> str:
        """The native API wgpu drives: Vulkan, Metal, D3D12, OpenGL."""
        return self.adapter.info["backend_type"]

    @property
    def adapter_type(self) -> str:
        """DiscreteGPU, IntegratedGPU, CPU (a software rasteriser) or Unknown."""
        return self.adapter.info["adapter_type"]

    def describe(self) -> str:
        """One line naming the adapter: name, backend and type."""
        return f"{self.name} ({self.backend}, {self.adapter_type})"

    @property
    def max_binding_bytes(self) -> int:
        """The largest storage buffer one binding may cover on this device."""
        limits = self.device.limits
        return min(limits["max-storage-buffer-binding-size"], limits["max-buffer-size"])

    @property
    def max_groups(self) -> int:
        """The most workgroups one dispatch may have along one dimension."""
        return self.device.limits["max-compute-workgroups-per-dimension"]


def _silence_wayland_probe() -> None:
    # Mesa's Vulkan drivers probe for a Wayland display when the instance is
    # created and print "XDG_RUNTIME_DIR is invalid or not set" to stderr when
    # the variable is missing (servers, CI).  Any private directory quiets it.
    if not os.environ.get("XDG_RUNTIME_DIR"):
        path = os.path.join(tempfile.gettempdir(), f"gatecc-runtime-{os.getuid()}")
        os.makedirs(path, mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = path


def _choose_adapter(wgpu, selector: str):
    """The adapter to use, or raise TargetError saying why there is none."""
    if not selector:
        try:
            adapter = wgpu.gpu.request_adapter_sync(power_preference="high-performance")
        except Exception as exc:  # wgpu-native reports a missing adapter as a plain error
            raise TargetError(f"no WebGPU adapter found ({_first_line(exc)}); {INSTALL_HINT}") from None
        if adapter is None:
            raise TargetError(f"no WebGPU adapter found; {INSTALL_HINT}")
        return adapter
    adapters = wgpu.gpu.enumerate_adapters_sync()
    needle = selector.lower()
    for adapter in adapters:
        if needle in adapter.summary.lower():
            return adapter
    found = "; ".join(a.summary for a in adapters) or "none"
    raise TargetError(f"no WebGPU adapter matches {ADAPTER_ENV}={selector!r} (adapters here: {found})")


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


@cache
def _lookup(selector: str) -> Gpu | str:
    """The GPU for ``selector``, or the reason there is none (memoised either way)."""
    try:
        import wgpu
    except ImportError:
        return "the wgpu package is not installed (pip install wgpu, or gatecc[wgpu])"
    _silence_wayland_probe()
    try:
        adapter = _choose_adapter(wgpu, selector)
    except TargetError as exc:
        return str(exc)
    limits = adapter.limits
    # Ask for the adapter's own buffer limits (the defaults are 128/256 MiB),
    # so big batches need fewer dispatches.
    wanted = {key: limits[key] for key in ("max-storage-buffer-binding-size", "max-buffer-size")}
    try:
        device = adapter.request_device_sync(required_limits=wanted)
    except Exception as exc:  # noqa: BLE001  (wgpu raises plain errors for device failures)
        return f"cannot open a device on {adapter.summary}: {_first_line(exc)}"
    return Gpu(adapter, device)


def open_gpu(selector: str = "") -> Gpu:
    """The adapter chosen by ``selector`` and a device on it, opened once per process.

    Raises :class:`TargetError` when wgpu is missing or no adapter fits.  The
    outcome, failure included, is memoised (looking for adapters takes
    seconds); :func:`forget_gpu` forgets it.
    """
    found = _lookup(selector)
    if isinstance(found, str):
        raise TargetError(found)
    return found


def forget_gpu() -> None:
    """Forget the memoised lookups, so the next one looks again (e.g. after installing a driver)."""
    _lookup.cache_clear()


def default_gpu() -> Gpu:
    """The GPU that ``$GATECC_WGPU_ADAPTER`` selects (memoised); TargetError if none."""
    return open_gpu(os.environ.get(ADAPTER_ENV, "").strip())


def gpu_unavailable_reason() -> str | None:
    """None when a GPU can be opened here, else why not (looks it up on first call)."""
    try:
        default_gpu()
    except TargetError as exc:
        return str(exc)
    return None


class WgslKernel(Kernel):
    """A WGSL shader compiled into one compute pipeline per chunk.

    Runs take (n_inputs, words) uint64 planes, upload them as u32 words,
    dispatch every chunk in order and read the output planes back.  Batches
    bigger than one storage binding allows are run in spans of words.  The
    kernel keeps its buffers between runs (grown as needed); a lock makes
    concurrent runs of one kernel safe.
    """

    word_multiple = 1

    def __init__(self, gpu: Gpu, source: str, plan: Schedule, n_inputs: int, n_planes: int):
        import wgpu

        self.gpu = gpu
        self.plan = plan
        self.n_inputs, self.n_planes = n_inputs, n_planes
        device = gpu.device
        try:
            module = device.create_shader_module(code=source)
        except wgpu.GPUError as exc:
            raise BuildError(f"the WGSL shader was rejected: {_wgsl_message(exc)}") from None
        storage = [(BINDING_IN, "read-only-storage"), (BINDING_OUT, "storage")]
        if plan.n_slots:
            storage.append((BINDING_MID, "storage"))
        entries = [{"binding": BINDING_PARAMS, "visibility": wgpu.ShaderStage.COMPUTE, "buffer": {"type": "uniform"}}]
        entries += [{"binding": b, "visibility": wgpu.ShaderStage.COMPUTE, "buffer": {"type": t}} for b, t in storage]
        self._bind_layout = device.create_bind_group_layout(entries=entries)
        layout = device.create_pipeline_layout(bind_group_layouts=[self._bind_layout])
        try:
            self._pipelines = [
                device.create_compute_pipeline(layout=layout, compute={"module": module, "entry_point": f"chunk{c}"})
                for c in range(len(plan.chunks))
            ]
        except wgpu.GPUError as exc:
            raise BuildError(f"the WGSL pipeline could not be built: {_wgsl_message(exc)}") from None
        widest = max(n_inputs, n_planes, plan.n_slots, 1)
        groups = gpu.max_groups
        #: Most u32 words one dispatch covers: every buffer fits one binding.
        self.max_span = min(gpu.max_binding_bytes // (4 * widest), groups * groups * WORKGROUP_SIZE)
        self._span = 0
        self._lock = threading.Lock()

    def _ensure_buffers(self, span: int) -> None:
        """Buffers and a bind group for ``span`` words per plane (kept if big enough)."""
        import wgpu

        if span <= self._span:
            return
        device = self.gpu.device
        usage = wgpu.BufferUsage

        def storage(planes: int, extra):
            return device.create_buffer(size=4 * max(planes, 1) * span, usage=usage.STORAGE | extra)

        self._params = device.create_buffer(size=16, usage=usage.UNIFORM | usage.COPY_DST | usage.COPY_SRC)
        self._in = storage(self.n_inputs, usage.COPY_DST)
        self._out = storage(self.n_planes, usage.COPY_SRC)
        buffers = {BINDING_PARAMS: self._params, BINDING_IN: self._in, BINDING_OUT: self._out}
        if self.plan.n_slots:
            buffers[BINDING_MID] = storage(self.plan.n_slots, 0)
        self._bind_group = device.create_bind_group(layout=self._bind_layout, entries=[
            {"binding": b, "resource": {"buffer": buf, "offset": 0, "size": buf.size}} for b, buf in buffers.items()
        ])
        self._span = span

    def _encode(self, encoder, span: int, rounds: int = 1) -> None:
        groups = -(-span // WORKGROUP_SIZE)
        gx = min(groups, self.gpu.max_groups)
        gy = -(-groups // gx)
        compute = encoder.begin_compute_pass()
        compute.set_bind_group(0, self._bind_group)
        for _ in range(rounds):
            # WebGPU orders dispatches of one pass: a chunk sees the slots its predecessors wrote.
            for pipeline in self._pipelines:
                compute.set_pipeline(pipeline)
                compute.dispatch_workgroups(gx, gy, 1)
        compute.end()

    def _run_span(self, words32: np.ndarray) -> np.ndarray:
        span = words32.shape[1]
        self._ensure_buffers(span)
        queue = self.gpu.device.queue
        queue.write_buffer(self._params, 0, np.array([span, 0, 0, 0], dtype="<u4"))
        if self.n_inputs:
            queue.write_buffer(self._in, 0, np.ascontiguousarray(words32))
        encoder = self.gpu.device.create_command_encoder()
        self._encode(encoder, span)
        queue.submit([encoder.finish()])
        data = queue.read_buffer(self._out, 0, 4 * self.n_planes * span)
        return np.frombuffer(data, dtype="<u4").reshape(self.n_planes, span)

    def run(self, planes: np.ndarray) -> np.ndarray:
        """(n_inputs, words) uint64 planes -> (n_planes, words) uint64 planes."""
        words = planes.shape[1]
        # Little-endian uint64 words viewed as u32 pairs are the 32-bit layout.
        words32 = np.ascontiguousarray(planes, dtype="<u8").view("<u4").reshape(self.n_inputs, 2 * words)
        out = np.empty((self.n_planes, 2 * words), dtype="<u4")
        step = max(2, self.max_span - self.max_span % 2)
        with self._lock:
            for start in range(0, 2 * words, step):
                stop = min(start + step, 2 * words)
                out[:, start:stop] = self._run_span(words32[:, start:stop])
        return out.view("<u8").astype(np.uint64, copy=False)

    def time_dispatches(self, words32: int, rounds: int) -> float:
        """Seconds the GPU takes for ``rounds`` evaluations of ``words32`` words per plane.

        Inputs are random and already on the device; the rounds go in one
        command buffer and the clock stops when the queue reports them done,
        so uploads and read-backs of the planes are excluded (the fixed cost
        of one submission and a 16-byte read-back is not: amortise it with
        enough rounds, or take the slope between two round counts).
        """
        if not 1 <= words32 <= self.max_span:
            raise ValueError(f"words32 must be in 1..{self.max_span}")
        import time

        with self._lock:
            self._ensure_buffers(words32)
            queue = self.gpu.device.queue
            queue.write_buffer(self._params, 0, np.array([words32, 0, 0, 0], dtype="<u4"))
            if self.n_inputs:
                rng = np.random.default_rng(0)
                queue.write_buffer(self._in, 0, rng.integers(0, 2**32, (self.n_inputs, words32), dtype="<u4"))
            self._wait()
            encoder = self.gpu.device.create_command_encoder()
            self._encode(encoder, words32, rounds)
            commands = encoder.finish()
            start = time.perf_counter()
            queue.submit([commands])
            self._wait()
            return time.perf_counter() - start

    def _wait(self) -> None:
        # Reading a buffer back waits for all work submitted before it (wgpu-py
        # 0.32's on_submitted_work_done_sync fails against its own wgpu-native).
        self.gpu.device.queue.read_buffer(self._params, 0, 16)


def _wgsl_message(exc: BaseException) -> str:
    """The informative line of a wgpu validation error (naga's message)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    useful = [line for line in lines if "error" in line.lower() and "validation error" != line.lower()]
    return (useful or lines or [type(exc).__name__])[0]
