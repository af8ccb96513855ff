"""What the native backends (C and LLVM) share: host vector width, the kernel ABI, threads.

Both backends generate a module for a net with the same entry points, so
one :class:`NativeKernel` drives either of them by address, through cffi
function pointers (cffi releases the GIL during the call, so Python threads
split a batch across cores):

``void gatecc_words(const V *in, V *out, V *scratch, size_t n_vec)``
    Evaluate ``n_vec`` vector words of a tile held word-major: the
    ``n_inputs`` input vectors of word 0, then those of word 1, ...; the
    ``n_planes`` output vectors likewise.

``void gatecc_eval(const uint64_t *in, uint64_t *out, size_t stride, size_t n_words, void *work)``
    The packed API.  Plane ``i`` of the input starts at ``in + i * stride``
    (uint64 words); ``n_words`` and ``stride`` are multiples of the lane
    count; output plane ``k`` goes to ``out + k * stride``.

``void gatecc_info(uint64_t *info)``
    Fills :data:`INFO_FIELDS`, so the loader checks what it got.

The bool path lives in a *runtime* built once per vector width (``runtime.c``
for C; the same function in LLVM IR for the LLVM backend):

``void gatecc_rt_run(const uint64_t *net, const uint8_t *x, size_t n_rows, void *y, void *work)``
    For each tile of ``tile_rows`` rows of ``x`` (row-major, one 0/1 byte
    per input): pack it into bit planes, call the net's ``gatecc_words``,
    decode the output planes into ``y`` (row-major uint8 bits, or int32 when
    some output is a count), so a tile never leaves the cache.  ``net`` is the
    :meth:`Layout.descriptor` of the net.

``work`` is a per-thread, 64-byte aligned buffer of :attr:`Layout.work_bytes`:
the scratch slots (see :mod:`gatecc.backends.schedule`), the tile's input and
output planes, and room to pad the last tile of a batch.
"""

from __future__ import annotations

import os
import queue
import threading
from dataclasses import dataclass
from functools import cache

import numpy as np

from ..errors import BuildError, TargetError
from .abi import ABI_VERSION, D_OUTPUTS, INFO_FIELDS  # noqa: F401  (re-exported)
from .schedule import check_chunk_nodes  # noqa: F401  (re-exported for the native targets)
from .target import check_options  # noqa: F401  (re-exported for the native targets)



#: Vector widths the native backends can emit, in bits (64 is plain uint64_t).
VECTOR_BITS = (64, 128, 256, 512)

#: Below this many rows per thread a batch is not split further.
MIN_ROWS_PER_THREAD = 8192

#: Counts are returned as int32.
MAX_COUNT_BITS = 31

#: Bytes the tile's input and output planes should stay under (half an L1 data cache).
TILE_BYTES = 16384

ALIGN = 64


@dataclass(frozen=True)
class Layout:
    """Compile-time sizes of a generated module (what ``gatecc_info`` reports)."""

    lanes: int          # uint64 words per vector
    n_inputs: int
    n_planes: int
    n_outputs: int
    n_slots: int
    tile_words: int     # uint64 words per plane in one tile of the bool path
    counts: bool        # outputs are int32 counts (else uint8 bits)

    @property
    def vector_bytes(self) -> int:
        """Bytes per vector word."""
        return 8 * self.lanes

    @property
    def tile_rows(self) -> int:
        """Samples per tile of the bool path."""
        return 64 * self.tile_words

    @property
    def scratch_bytes(self) -> int:
        """Bytes of scratch slots, rounded up to keep the tile planes aligned."""
        return -(-max(1, self.n_slots) * self.vector_bytes // ALIGN) * ALIGN

    @property
    def work_bytes(self) -> int:
        """Bytes of the per-thread work buffer: scratch, tile input and output planes, staging rows.

        The staging rows hold the last, partial tile of a batch padded with zero rows.
        """
        planes = 8 * self.tile_words * (self.n_inputs + max(1, self.n_planes))
        return self.scratch_bytes + planes + self.tile_rows * max(1, self.n_inputs)

    def descriptor(self, words_address: int, plane_layout) -> np.ndarray:
        """The uint64 array ``gatecc_rt_run`` reads: sizes, the net's ``gatecc_words``, (start, width) per output."""
        outputs = [(start, width) for _, start, width in plane_layout.outputs]
        widest = max((width for _, width in outputs), default=1)
        head = [ABI_VERSION, self.lanes, words_address, self.n_inputs, self.n_planes, self.n_outputs,
                self.tile_words, self.scratch_bytes, int(self.counts), widest]
        assert len(head) == D_OUTPUTS                  # the fields of abi.DESCRIPTOR_FIELDS, in order
        return np.array(head + [v for pair in outputs for v in pair], dtype=np.uint64)

    def info(self) -> tuple[int, ...]:
        """The values ``gatecc_info`` must report, in :data:`INFO_FIELDS` order."""
        return (ABI_VERSION, self.lanes, self.n_inputs, self.n_planes, self.n_outputs, self.n_slots,
                self.tile_words, self.work_bytes, int(self.counts))


def tile_words_for(lanes: int, n_inputs: int, n_planes: int) -> int:
    """Tile size of the bool path: whole vectors, planes under :data:`TILE_BYTES`, at most 64 vectors."""
    vectors = TILE_BYTES // max(1, 8 * lanes * (n_inputs + n_planes))
    return lanes * max(1, min(64, vectors))


def check_vector_bits(bits) -> int:
    """``bits`` as an int if it is a supported vector width, else :class:`TargetError`."""
    if bits not in VECTOR_BITS:
        raise TargetError(f"vector_bits must be one of {', '.join(map(str, VECTOR_BITS))}, not {bits!r}")
    return int(bits)


def check_count_widths(plane_layout) -> None:
    """:class:`TargetError` when a count output does not fit the int32 results."""
    for k, (kind, _, width) in enumerate(plane_layout.outputs):
        if kind == "count" and width > MAX_COUNT_BITS:
            raise TargetError(f"output {k} is a count of {width} bits; counts of at most {MAX_COUNT_BITS} bits "
                              "fit the int32 results")


@cache
def cpu_flags() -> frozenset[str]:
    """CPU feature flags of this machine from /proc/cpuinfo (empty where there is none)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("flags", "Features")):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def vector_bits_from_features(features) -> int:
    """The widest integer vector the features allow: 512 (AVX-512F), 256 (AVX2), 128 (SSE2/NEON) or 64."""
    features = {f.lstrip("+").lower() for f in features}
    for bits, names in ((512, ("avx512f",)), (256, ("avx2",)), (128, ("sse2", "neon", "asimd"))):
        if any(n in features for n in names):
            return bits
    return 64


def default_threads() -> int:
    """Threads a kernel uses unless told otherwise: ``$GATECC_THREADS``, else every core this process may use."""
    env = os.environ.get("GATECC_THREADS")
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            raise TargetError(f"GATECC_THREADS must be a positive integer, not {env!r}") from None
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def aligned_empty(nbytes: int, dtype=np.uint8) -> np.ndarray:
    """An uninitialised array of ``nbytes`` bytes starting on a 64-byte boundary."""
    raw = np.empty(nbytes + ALIGN, dtype=np.uint8)
    start = -raw.ctypes.data % ALIGN
    return raw[start : start + nbytes].view(dtype)


#: C declarations of a net module's entry points (see the module docstring).
NET_CDEF = """
void gatecc_words(const void *in, void *out, void *scratch, size_t n_vec);
void gatecc_eval(const uint64_t *in, uint64_t *out, size_t stride, size_t n_words, void *work);
void gatecc_info(uint64_t *info);
"""

#: C declarations of the runtime's entry points.
RUNTIME_CDEF = """
void gatecc_rt_run(const uint64_t *net, const uint8_t *x, size_t n_rows, void *y, void *work);
void gatecc_rt_run_threads(const uint64_t *net, const uint8_t *x, size_t n_rows, void *y, void *const *works,
                           size_t n_threads);
void gatecc_rt_info(uint64_t *info);
"""

_EVAL = "void(*)(void *, void *, size_t, size_t, void *)"
_RUN = "void(*)(void *, void *, size_t, void *, void *)"
_RUN_THREADS = "void(*)(void *, void *, size_t, void *, void **, size_t)"
_INFO = "void(*)(void *)"


@cache
def _ffi():
    """The cffi instance that turns entry-point addresses into callable function pointers."""
    from cffi import FFI

    return FFI()


def function_at(address: int, signature: str):
    """A cffi function pointer of C type ``signature`` for the code at ``address``."""
    return _ffi().cast(signature, address)


def read_info(address: int, n: int) -> tuple[int, ...]:
    """Call an ``info`` entry point (``void f(uint64_t *)``) and return the ``n`` values it writes."""
    info = np.zeros(n, dtype=np.uint64)
    function_at(address, _INFO)(_ffi().from_buffer(info))
    return tuple(int(v) for v in info)


def read_layout(address_of, graph) -> Layout:
    """The :class:`Layout` a loaded module reports, checked against ``graph``.

    ``address_of(name)`` returns the address of an entry point.  A stale or
    foreign module is refused rather than run.
    """
    from .target import PlaneLayout

    got = dict(zip(INFO_FIELDS, read_info(address_of("gatecc_info"), len(INFO_FIELDS))))
    planes = PlaneLayout.of(graph)
    layout = Layout(lanes=got["lanes"], n_inputs=got["n_inputs"], n_planes=got["n_planes"],
                    n_outputs=got["n_outputs"], n_slots=got["n_slots"], tile_words=got["tile_words"],
                    counts=bool(got["counts"]))
    expected = {"abi": ABI_VERSION, "n_inputs": graph.n_inputs, "n_planes": len(planes.planes),
                "n_outputs": len(planes.outputs), "work_bytes": layout.work_bytes,
                "counts": int(any(kind == "count" for kind, _, _ in planes.outputs))}
    wrong = {k: (got[k], v) for k, v in expected.items() if got[k] != v}
    if wrong:
        raise BuildError(f"the compiled module does not match the graph: {wrong}")
    return layout


class NativeKernel:
    """A loaded native module, run on as many threads as asked.

    ``threads`` may be changed at any time; a batch is split into contiguous
    ranges of whole tiles, one per thread, each thread with its own work
    buffer (buffers are pooled, so calls from several Python threads at once
    are safe).
    """

    def __init__(self, eval_address: int, run_address: int, descriptor: np.ndarray, layout: Layout,
                 keepalive=None, threads: int | None = None, run_threads_address: int | None = None,
                 min_rows_per_thread: int = MIN_ROWS_PER_THREAD):
        self._eval, self._run = function_at(eval_address, _EVAL), function_at(run_address, _RUN)
        #: ``gatecc_rt_run_threads`` (the C runtime's pthreads split of the bool path), if the runtime has one.
        self._run_threads = None if run_threads_address is None else function_at(run_threads_address, _RUN_THREADS)
        self.min_rows_per_thread = min_rows_per_thread
        self._descriptor = descriptor
        self.layout = layout
        self.word_multiple = layout.lanes
        self.threads = default_threads() if threads is None else threads
        self._keepalive = keepalive   # whatever owns the machine code (engine, library)
        self._pool: queue.SimpleQueue = queue.SimpleQueue()

    @classmethod
    def bind(cls, address_of, graph, runtime_run, keepalive=None, threads=None) -> "NativeKernel":
        """The kernel of a loaded module for ``graph``.

        ``address_of(name)`` gives the address of the module's entry points;
        ``runtime_run(vector_bits)`` the address of the runtime's
        ``gatecc_rt_run`` for that width.
        """
        from .target import PlaneLayout

        layout = read_layout(address_of, graph)
        descriptor = layout.descriptor(address_of("gatecc_words"), PlaneLayout.of(graph))
        return cls(address_of("gatecc_eval"), runtime_run(64 * layout.lanes), descriptor, layout,
                   keepalive=keepalive, threads=threads)

    @property
    def threads(self) -> int:
        """Threads one call may use."""
        return self._threads

    @threads.setter
    def threads(self, n: int) -> None:
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
            raise TargetError(f"threads must be a positive integer, not {n!r}")
        self._threads = int(n)

    def _work(self) -> np.ndarray:
        try:
            return self._pool.get_nowait()
        except queue.Empty:
            return aligned_empty(self.layout.work_bytes)

    def _in_threads(self, total: int, unit: int, min_units: int, call) -> None:
        """Run ``call(first, count, work)`` over ``total`` split into ranges of whole ``unit``s.

        One range per thread, never fewer than ``min_units`` per range; the
        calling thread takes the first range.
        """
        units = -(-total // unit)
        parts = max(1, min(self.threads, units // max(1, min_units)))
        bounds = [units * p // parts * unit for p in range(parts)] + [total]
        ranges = [(a, b - a) for a, b in zip(bounds, bounds[1:]) if b > a]

        def job(first, count):
            work = self._work()
            try:
                call(first, count, _ffi().cast("void *", work.ctypes.data))
            finally:
                self._pool.put(work)

        workers = [threading.Thread(target=job, args=r) for r in ranges[1:]]
        for t in workers:
            t.start()
        try:
            job(*ranges[0])
        finally:
            for t in workers:
                t.join()

    def run(self, planes: np.ndarray) -> np.ndarray:
        """(n_inputs, words) uint64 -> (n_planes, words) uint64; words a multiple of ``word_multiple``."""
        planes = np.ascontiguousarray(planes, dtype=np.uint64)
        n_in, words = planes.shape
        if n_in != self.layout.n_inputs or words % self.word_multiple:
            raise ValueError(f"expected ({self.layout.n_inputs}, k*{self.word_multiple}) planes, got {planes.shape}")
        out = np.empty((self.layout.n_planes, words), dtype=np.uint64)
        if words == 0:
            return out
        base_in, base_out = planes.ctypes.data, out.ctypes.data
        ptr = _ffi().cast

        def call(first, count, work):
            self._eval(ptr("void *", base_in + 8 * first), ptr("void *", base_out + 8 * first), words, count, work)

        self._in_threads(words, self.word_multiple, self.min_rows_per_thread // 64 // self.word_multiple, call)
        return out

    def run_samples(self, x: np.ndarray, layout) -> np.ndarray:
        """(batch, n_inputs) 0/1 bytes -> decoded outputs, packing and decoding in compiled code."""
        x = np.ascontiguousarray(x)
        if x.dtype != np.uint8:
            x = x.view(np.uint8) if x.dtype == np.bool_ else x.astype(np.uint8)
        batch = x.shape[0]
        y = np.empty((batch, self.layout.n_outputs), dtype=np.int32 if self.layout.counts else np.uint8)
        if batch == 0 or self.layout.n_outputs == 0:
            return y
        tile = self.layout.tile_rows
        base_x, base_y, row_in, row_out = x.ctypes.data, y.ctypes.data, x.shape[1], y.strides[0]

        ptr = _ffi().cast
        net = ptr("void *", self._descriptor.ctypes.data)

        parts = max(1, min(self.threads, -(-batch // tile) // max(1, self.min_rows_per_thread // tile)))
        if parts > 1 and self._run_threads is not None:
            self._run_in_c_threads(net, x, y, parts)
            return y

        def call(first, count, work):
            self._run(net, ptr("void *", base_x + first * row_in), count, ptr("void *", base_y + first * row_out), work)

        self._in_threads(batch, tile, self.min_rows_per_thread // tile, call)
        return y

    def _run_in_c_threads(self, net, x: np.ndarray, y: np.ndarray, parts: int) -> None:
        """The bool path split over ``parts`` pthreads inside one C call (``gatecc_rt_run_threads``)."""
        ffi = _ffi()
        works = [self._work() for _ in range(parts)]
        try:
            pointers = ffi.new("void *[]", [ffi.cast("void *", w.ctypes.data) for w in works])
            self._run_threads(net, ffi.cast("void *", x.ctypes.data), x.shape[0], ffi.cast("void *", y.ctypes.data),
                              pointers, parts)
        finally:
            for w in works:
                self._pool.put(w)
