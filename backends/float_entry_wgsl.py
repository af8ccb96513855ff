"""The float entry point of the ``wgsl`` target: the input encoder as a WGSL compute shader.

One invocation per (input bit k, 32-sample word w) compares the 32 samples'
feature ``F[k]`` with threshold ``T[k]`` in f32 and writes one u32 of the
(n_bits, 2 * words) plane array, which viewed as little-endian u64 pairs is
the plane layout the net's kernel takes (see :mod:`.float_entry`).
The features and thresholds are constants of the shader (thresholds as
their f32 bit patterns, ``bitcast<f32>``), so the shader compares with
exactly the stored values and ``gatecc lower --target wgsl`` prints a
self-contained module: the net's shader followed by this one, whose names
start with ``gatecc_enc`` and whose bindings start at :data:`BINDING_BASE`,
clear of the net's.  WGSL lets an implementation flush subnormal f32 values
to zero; thresholds and features of magnitude below ~1.2e-38 may therefore
compare differently on the GPU.
"""

from __future__ import annotations

import numpy as np

WORKGROUP = 64
#: The encoder's bindings (group 0) start here, clear of the net shader's (:mod:`.abi`: 0..3).
BINDING_BASE = 8
ENTRY_POINT = "gatecc_encode"

_TEMPLATE = """
// gatecc input encoder: bit k = x[k's feature] > k's threshold (f32), packed into 32-bit plane words.
const GATECC_ENC_BITS: u32 = %(nb)du;
const GATECC_ENC_FEATURES: u32 = %(nf)du;
const gatecc_enc_feature = array<u32, %(nb)d>(%(features)s);
const gatecc_enc_threshold = array<u32, %(nb)d>(%(thresholds)s);
struct GateccEncodeParams { batch: u32, words32: u32 }
@group(0) @binding(%(b0)d) var<uniform> gatecc_enc_params: GateccEncodeParams;
@group(0) @binding(%(b1)d) var<storage, read> gatecc_enc_x: array<f32>;
@group(0) @binding(%(b2)d) var<storage, read_write> gatecc_enc_planes: array<u32>;

@compute @workgroup_size(%(wg)d)
fn gatecc_encode(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
    let id = gid.x + gid.y * n.x * %(wg)du;
    let p = gatecc_enc_params;
    if (id >= GATECC_ENC_BITS * p.words32) { return; }
    let k = id / p.words32;
    let w = id %% p.words32;
    let f = gatecc_enc_feature[k];
    let t = bitcast<f32>(gatecc_enc_threshold[k]);
    var word = 0u;
    for (var i = 0u; i < 32u; i = i + 1u) {
        let s = w * 32u + i;
        if (s < p.batch && gatecc_enc_x[s * GATECC_ENC_FEATURES + f] > t) { word = word | (1u << i); }
    }
    gatecc_enc_planes[id] = word;
}
"""


def emit_wgsl_encoder(encoder) -> str:
    """WGSL source of the ``gatecc_encode`` compute shader for ``encoder``."""
    return _TEMPLATE % {
        "nb": encoder.n_bits, "nf": encoder.n_features, "wg": WORKGROUP,
        "features": ", ".join(f"{int(f)}u" for f in encoder.feature),
        "thresholds": ", ".join(f"0x{int(b):08x}u" for b in encoder.threshold.astype("<f4").view("<u4")),
        **{f"b{i}": BINDING_BASE + i for i in range(3)},
    }


class WgslFloatEntry:
    """The encoder shader on the default GPU: float32 rows in, packed uint64 input planes out."""

    def __init__(self, encoder):
        from .wgpu_runtime import default_gpu

        self.encoder = encoder
        self.source = emit_wgsl_encoder(encoder)
        self.gpu = default_gpu()
        module = self.gpu.device.create_shader_module(code=self.source)
        self._pipeline = self.gpu.device.create_compute_pipeline(
            layout="auto", compute={"module": module, "entry_point": ENTRY_POINT})

    def planes(self, x) -> np.ndarray:
        """(batch, n_features) numbers -> (n_bits, words) uint64 planes, encoded on the GPU."""
        import wgpu

        x = np.ascontiguousarray(self.encoder.check(x), dtype="<f4")
        batch, nb = x.shape[0], self.encoder.n_bits
        words = max(1, -(-batch // 64))
        device, usage = self.gpu.device, wgpu.BufferUsage
        params = device.create_buffer_with_data(data=np.array([batch, 2 * words], dtype="<u4"), usage=usage.UNIFORM)
        xs = device.create_buffer_with_data(data=x if x.size else np.zeros(1, "<f4"), usage=usage.STORAGE)
        out = device.create_buffer(size=4 * nb * 2 * words, usage=usage.STORAGE | usage.COPY_SRC)
        bind = device.create_bind_group(layout=self._pipeline.get_bind_group_layout(0), entries=[
            {"binding": BINDING_BASE + i, "resource": {"buffer": b, "offset": 0, "size": b.size}}
            for i, b in enumerate((params, xs, out))])
        groups = -(-(nb * 2 * words) // WORKGROUP)
        gx = min(groups, self.gpu.max_groups)
        encoder = device.create_command_encoder()
        compute = encoder.begin_compute_pass()
        compute.set_pipeline(self._pipeline)
        compute.set_bind_group(0, bind)
        compute.dispatch_workgroups(gx, -(-groups // gx), 1)
        compute.end()
        device.queue.submit([encoder.finish()])
        data = device.queue.read_buffer(out, 0, 4 * nb * 2 * words)
        return np.frombuffer(data, dtype="<u4").reshape(nb, 2 * words).view("<u8").astype(np.uint64)
