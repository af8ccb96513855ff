"""The float entry point of the ``wgsl`` target: the input encoder as a WGSL compute shader.

One invocation per (input bit k, 32-sample word w) compares the 32 samples'
feature ``F[k]`` with threshold ``T[k]`` in f32 and writes one u32 of the
(n_bits, 2 * words) plane array, which viewed as little-endian u64 pairs is
the plane layout the net's kernel takes (see :mod:`.float_entry`).
Thresholds travel as their f32 bit patterns (``bitcast<f32>``), so the
shader compares with exactly the stored values.  WGSL lets an implementation
flush subnormal f32 values to zero; thresholds and features of magnitude
below ~1.2e-38 may therefore compare differently on the GPU.
"""

from __future__ import annotations

import numpy as np

WORKGROUP = 64

SHADER = """
struct Params { batch: u32, words32: u32, n_bits: u32, n_features: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> feature: array<u32>;
@group(0) @binding(3) var<storage, read> threshold: array<u32>;
@group(0) @binding(4) var<storage, read_write> planes: array<u32>;

@compute @workgroup_size(%d)
fn encode(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
    let id = gid.x + gid.y * n.x * %du;
    if (id >= params.n_bits * params.words32) { return; }
    let k = id / params.words32;
    let w = id %% params.words32;
    let f = feature[k];
    let t = bitcast<f32>(threshold[k]);
    var word = 0u;
    for (var i = 0u; i < 32u; i = i + 1u) {
        let s = w * 32u + i;
        if (s < params.batch && x[s * params.n_features + f] > t) { word = word | (1u << i); }
    }
    planes[id] = word;
}
""" % (WORKGROUP, WORKGROUP)


class WgslFloatEntry:
    """The encoder shader on the default GPU: float32 rows in, packed uint64 input planes out."""

    def __init__(self, encoder):
        import wgpu

        from .wgpu_runtime import default_gpu

        self.encoder = encoder
        self.source = SHADER
        self.gpu = default_gpu()
        device = self.gpu.device
        module = device.create_shader_module(code=SHADER)
        self._pipeline = device.create_compute_pipeline(layout="auto", compute={"module": module, "entry_point": "encode"})
        usage = wgpu.BufferUsage
        self._feature = device.create_buffer_with_data(data=encoder.feature.astype("<u4"), usage=usage.STORAGE)
        self._threshold = device.create_buffer_with_data(data=encoder.threshold.astype("<f4").view("<u4"),
                                                         usage=usage.STORAGE)

    def planes(self, x) -> np.ndarray:
        """(batch, n_features) numbers -> (n_bits, words) uint64 planes, encoded on the GPU."""
        import wgpu

        x = np.ascontiguousarray(self.encoder.check(x), dtype="<f4")
        batch, nb = x.shape[0], self.encoder.n_bits
        words = max(1, -(-batch // 64))
        device, usage = self.gpu.device, wgpu.BufferUsage
        params = device.create_buffer_with_data(
            data=np.array([batch, 2 * words, nb, self.encoder.n_features], dtype="<u4"), usage=usage.UNIFORM)
        xs = device.create_buffer_with_data(data=x if x.size else np.zeros(1, "<f4"), usage=usage.STORAGE)
        out = device.create_buffer(size=4 * nb * 2 * words, usage=usage.STORAGE | usage.COPY_SRC)
        bind = device.create_bind_group(layout=self._pipeline.get_bind_group_layout(0), entries=[
            {"binding": i, "resource": {"buffer": b, "offset": 0, "size": b.size}}
            for i, b in enumerate((params, xs, self._feature, self._threshold, out))])
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
