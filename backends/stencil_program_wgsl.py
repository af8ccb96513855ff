"""WGSL for a spatial program (see :mod:`.stencil_program`): one u32 word of samples per invocation.

Every value's planes live in one storage buffer ``vals`` (plane ``p`` at
``vals[p * n + w]``, ``n`` = params.n_words), the scratch slots of the stage
being run after them.  Each chunk of a stage's graph is an entry point
(``s{stage}_c{chunk}``) dispatched in order; a Conv chunk loops over the
output positions, computing the plane index of each window entry it loads
(wrapped for the torus, the value's zero plane outside a zero boundary), so
the shader is the size of the kernels, whatever the size of the image.
"""

from __future__ import annotations

import numpy as np

from .schedule import CHUNK_NODES, FROM_INPUT, FROM_OUTPUT, FROM_SLOT, check_chunk_nodes, schedule
from .stencil_program import Plan, ProgramKernel, positions, window_table
from .wgsl import WgslChunks

#: Options of the WGSL form of a program.
OPTIONS = ("chunk_nodes",)


class StageChunks(WgslChunks):
    """A stage graph's chunks over ``vals``: a Conv's in a loop over positions, a Dense's once."""

    def __init__(self, graph, stage: int, src: int, dst: int, mid: int, conv=None):
        super().__init__(graph)
        self.stage, self.src, self.dst, self.mid, self.conv = stage, src, dst, mid, conv

    def head(self, index: int) -> list[str]:
        lines = super().head(index)
        lines[2] = lines[2].replace(f"fn chunk{index}(", f"fn s{self.stage}_c{index}(")
        if self.conv is not None:
            st, src_shape, dst_shape = self.conv
            lines += [f"    for (var pos = 0u; pos < {positions(dst_shape)}u; pos = pos + 1u) {{"]
            rest = "pos"
            for a in reversed(range(src_shape.rank)):
                n = dst_shape.spatial[a]
                lines.append(f"    let b{a} = i32({rest} % {n}u) * {st.stride[a]} - {st.padding[a]};")
                rest = f"({rest} / {n}u)"
        return lines

    def tail(self, index: int) -> list[str]:
        return (["    }"] if self.conv is not None else []) + ["}"]

    def _at(self, plane: str) -> str:
        return f"vals[({plane}) * n + w]"

    def _pos(self, base: int, k: int) -> str:
        return f"{base + k * positions(self.conv[2])}u + pos" if self.conv is not None else f"{base + k}u"

    def load(self, node: int, place: str, index: int) -> None:
        if place == FROM_SLOT:
            where = self._pos(self.mid, index)
        elif place == FROM_OUTPUT:
            where = self._pos(self.dst, index)
        elif self.conv is None:
            where = f"{self.src + index}u"
        else:
            where = self._window_plane(node, index)
        self.lines.append(f"    let v{node} = {self._at(where)};")
        self.names[node] = f"v{node}"

    def _window_plane(self, node: int, j: int) -> str:
        st, src_shape, _ = self.conv
        dcs, ds = window_table(st, src_shape)
        flat, inside = [], []
        for a in range(src_shape.rank):
            n = src_shape.spatial[a]
            stride = positions(type(src_shape)(1, src_shape.spatial[a + 1:]))
            self.lines.append(f"    let i{node}_{a} = b{a} + {ds[a][j]};")
            coord = f"((i{node}_{a} % {n}) + {n}) % {n}" if st.boundary == "torus" else f"i{node}_{a}"
            flat.append(f"({coord}) * {stride}")
            inside.append(f"i{node}_{a} >= 0 && i{node}_{a} < {n}")
        index = " + ".join([str(dcs[j] * positions(src_shape))] + flat)
        if st.boundary == "torus" or not inside:
            return f"{self.src}u + u32({index})"
        return f"{self.src}u + select({src_shape.size}u, u32({index}), {' && '.join(inside)})"

    def store(self, node: int, slot: int) -> None:
        self.lines.append(f"    {self._at(self._pos(self.mid, slot))} = {self.operand(node)};")

    def write(self, plane: int, node: int) -> None:
        self.lines.append(f"    {self._at(self._pos(self.dst, plane))} = {self.operand(node)};")


def _simple_stage(i: int, st, p: Plan) -> list[str]:
    """OrPool and Or as one entry point ``s{i}_c0``."""
    src, dst = p.shapes[st.src], p.shapes[i + 1]
    a0, out = p.buffers[st.src].offset, p.buffers[i + 1].offset
    lines = ["", "@compute @workgroup_size(64)",
             f"fn s{i}_c0(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {{",
             "    let w = gid.x + gid.y * groups.x * 64u;", "    let n = params.n_words;",
             "    if (w >= n) {", "        return;", "    }"]
    if st.kind == "or":
        b0 = p.buffers[st.other].offset
        return lines + [f"    for (var k = 0u; k < {dst.size}u; k = k + 1u) {{",
                        f"        vals[({out}u + k) * n + w] = vals[({a0}u + k) * n + w] | vals[({b0}u + k) * n + w];",
                        "    }", "}"]
    rank = src.rank
    lines += [f"    for (var c = 0u; c < {src.channels}u; c = c + 1u) {{",
              f"    for (var pos = 0u; pos < {positions(dst)}u; pos = pos + 1u) {{", "    var acc = 0u;"]
    rest = "pos"
    for a in reversed(range(rank)):
        lines.append(f"    let b{a} = i32({rest} % {dst.spatial[a]}u) * {st.stride[a]} - {st.padding[a]};")
        rest = f"({rest} / {dst.spatial[a]}u)"
    for a in range(rank):
        lines += [f"    for (var k{a} = 0; k{a} < {st.size[a]}; k{a} = k{a} + 1) {{",
                  f"    let i{a} = b{a} + k{a};", f"    if (i{a} < 0 || i{a} >= {src.spatial[a]}) {{ continue; }}"]
    flat = " + ".join(f"u32(i{a}) * {positions(type(src)(1, src.spatial[a + 1:]))}u" for a in range(rank)) or "0u"
    lines.append(f"    acc = acc | vals[({a0}u + c * {positions(src)}u + {flat}) * n + w];")
    lines += ["    }"] * rank
    lines += [f"    vals[({out}u + c * {positions(dst)}u + pos) * n + w] = acc;", "    }", "    }", "}"]
    return lines


def emit_program_wgsl(p: Plan, chunk_nodes: int = CHUNK_NODES["wgsl"]) -> tuple[str, list[str], int]:
    """(shader, entry points in dispatch order, scratch planes) of the planned program."""
    chunk_nodes = check_chunk_nodes(chunk_nodes)
    lines = ["// Generated by gatecc: spatial program as a WGSL compute shader.  Do not edit.",
             "struct Params {", "    n_words: u32,", "}",
             "@group(0) @binding(0) var<uniform> params: Params;",
             "@group(0) @binding(1) var<storage, read_write> vals: array<u32>;"]
    entries, mid_planes = [], 0
    for i, st in enumerate(p.program.stages):
        if st.kind == "flatten":
            continue
        if st.kind in ("orpool", "or"):
            lines += _simple_stage(i, st, p)
            entries.append(f"s{i}_c0")
            continue
        graph = p.graphs[i]
        sched = schedule(graph, chunk_nodes)
        conv = (st, p.shapes[st.src], p.shapes[i + 1]) if st.kind == "conv" else None
        per_slot = positions(p.shapes[i + 1]) if conv else 1
        mid_planes = max(mid_planes, sched.n_slots * per_slot)
        chunks = StageChunks(graph, i, p.buffers[st.src].offset, p.buffers[i + 1].offset, p.total_planes, conv)
        for k, chunk in enumerate(sched.chunks):
            lines += chunks.chunk(k, chunk)
            entries.append(f"s{i}_c{k}")
    return "\n".join(lines) + "\n", entries, mid_planes


def load_wgsl(p: Plan, **options) -> ProgramKernel:
    """Build the WGSL form of the planned program and wrap it in a :class:`ProgramKernel`."""
    import wgpu

    from .stencil_wgsl import ComputeShader
    from .target import check_options
    from .wgpu_runtime import default_gpu

    check_options("wgsl", options, OPTIONS)
    source, entries, mid = emit_program_wgsl(p, options.get("chunk_nodes", CHUNK_NODES["wgsl"]))
    shader = ComputeShader(default_gpu(), source, entries, [(1, "storage")])
    planes_total = p.total_planes + mid
    usage = wgpu.BufferUsage
    span_max = max(1, shader.gpu.max_binding_bytes // (4 * planes_total))

    def run(planes, n_words64):
        words32 = np.ascontiguousarray(planes, dtype="<u8").view("<u4")      # (n_in, 2 * n_words64)
        total = words32.shape[1]
        out = np.zeros((p.out_planes, total), dtype="<u4")
        device, queue = shader.gpu.device, shader.gpu.device.queue
        for start in range(0, total, span_max):
            span = min(span_max, total - start)
            vals = shader.buffer(4 * planes_total * span, usage.STORAGE | usage.COPY_DST | usage.COPY_SRC)
            params = shader.buffer(16, usage.UNIFORM | usage.COPY_DST)
            queue.write_buffer(params, 0, np.array([span, 0, 0, 0], dtype="<u4"))
            if p.n_inputs:
                queue.write_buffer(vals, 0, np.ascontiguousarray(words32[:, start:start + span]))
            encoder = device.create_command_encoder()
            compute = encoder.begin_compute_pass()
            compute.set_bind_group(0, shader.bind({0: params, 1: vals}))
            for name in entries:
                shader.dispatch(compute, name, span)
            compute.end()
            queue.submit([encoder.finish()])
            data = queue.read_buffer(vals, 4 * p.last.offset * span, 4 * p.out_planes * span)
            out[:, start:start + span] = np.frombuffer(data, dtype="<u4").reshape(p.out_planes, span)
        return out.view("<u8").astype(np.uint64)

    return ProgramKernel(p, run, source, 64)
