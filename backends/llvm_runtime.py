"""The native runtime in LLVM IR: the bool path for nets JIT-compiled by the LLVM backend.

The same entry points and tile loop as ``runtime.c`` (read its header
comment), built with llvmlite's IR builder so the LLVM target needs no C
compiler (its packer reads each block of columns down the 64 rows, then
8 x 8 byte transposes: not ``runtime.c``'s row-order packers):
``gatecc_rt_run(net, x, n_rows, y, work)`` packs tiles of rows into bit
planes, calls the net's ``gatecc_words`` through the pointer in its
descriptor, and decodes the output planes into rows; ``gatecc_rt_info``
reports the ABI and lane count.  :mod:`.llvm_jit` compiles it once per
process and vector width.
"""

from __future__ import annotations

from llvmlite import ir

from .abi import (
    ABI_VERSION, D_COUNTS, D_N_IN, D_N_OUT, D_N_PLANES, D_OUTPUTS, D_SCRATCH_BYTES, D_TILE_WORDS, D_WIDEST, D_WORDS_FN,
)

I1, I8, I16, I32, I64 = ir.IntType(1), ir.IntType(8), ir.IntType(16), ir.IntType(32), ir.IntType(64)
PTR = ir.PointerType()
VOID = ir.VoidType()


# Byte transpose of t0..t7 in each uint64 lane: (shift, mask, row pairs).
_TRANSPOSE = [(32, 0x00000000FFFFFFFF, ((0, 4), (1, 5), (2, 6), (3, 7))),
              (16, 0x0000FFFF0000FFFF, ((0, 2), (1, 3), (4, 6), (5, 7))),
              (8, 0x00FF00FF00FF00FF, ((0, 1), (2, 3), (4, 5), (6, 7)))]


def _const(typ, value):
    """A constant of ``typ``; for a vector type, ``value`` in every lane."""
    if isinstance(typ, ir.VectorType):
        return ir.Constant(typ, [ir.Constant(typ.element, value)] * typ.count)
    return ir.Constant(typ, value)


def _splat(b: ir.IRBuilder, scalar, vector_type):
    """``scalar`` in every lane of ``vector_type``."""
    undef = ir.Constant(vector_type, ir.Undefined)
    one = b.insert_element(undef, scalar, ir.Constant(I32, 0))
    return b.shuffle_vector(one, undef, ir.Constant(ir.VectorType(I32, vector_type.count), [0] * vector_type.count))


class _Loop:
    """``for (i = start; i < end; i += step)`` with the builder positioned in the body.

    Use as a context manager; ``index`` is the loop variable.  Values carried
    around the loop go through memory (allocas), which -O3 promotes.
    """

    def __init__(self, b: ir.IRBuilder, start, end, step=1, name="i"):
        self.b, self.end, self.step, self.name = b, end, step, name
        self.start = start if isinstance(start, ir.Value) else ir.Constant(I64, start)

    def __enter__(self):
        b = self.b
        fn = b.function
        self.head = fn.append_basic_block(f"{self.name}.head")
        self.body = fn.append_basic_block(f"{self.name}.body")
        self.exit = fn.append_basic_block(f"{self.name}.exit")
        entry = b.block
        b.branch(self.head)
        b.position_at_end(self.head)
        self.index = b.phi(I64, name=self.name)
        self.index.add_incoming(self.start, entry)
        b.cbranch(b.icmp_unsigned("<", self.index, self.end), self.body, self.exit)
        b.position_at_end(self.body)
        return self

    def __exit__(self, *exc):
        b = self.b
        step = self.step if isinstance(self.step, ir.Value) else ir.Constant(I64, self.step)
        nxt = b.add(self.index, step)
        self.index.add_incoming(nxt, b.block)
        b.branch(self.head)
        b.position_at_end(self.exit)
        return False


class RuntimeBuilder:
    """Builds the runtime module for one vector width."""

    def __init__(self, vector_bits: int):
        self.lanes = vector_bits // 64
        self.V = I64 if self.lanes == 1 else ir.VectorType(I64, self.lanes)
        self.module = ir.Module(name=f"gatecc_runtime_{vector_bits}")
        self.memcpy = self.module.declare_intrinsic("llvm.memcpy", [PTR, PTR, I64])
        self.memset = self.module.declare_intrinsic("llvm.memset", [PTR, I64])

    def _function(self, name, args, ret=VOID, internal=True):
        fn = ir.Function(self.module, ir.FunctionType(ret, [a for a, _ in args]), name)
        for arg, (_, arg_name) in zip(fn.args, args):
            arg.name = arg_name
        if internal:
            fn.linkage = "internal"
        return fn, ir.IRBuilder(fn.append_basic_block("entry"))

    @staticmethod
    def _byte_ptr(b, base, offset):
        return b.gep(base, [offset], inbounds=True, source_etype=I8)

    def _word_address(self, b, tp, n_planes, plane, w):
        """Address of uint64 word w of ``plane`` in a word-major tile of ``n_planes`` planes."""
        lanes = ir.Constant(I64, self.lanes)
        index = b.add(b.mul(b.add(b.mul(b.udiv(w, lanes), n_planes), plane), lanes), b.urem(w, lanes))
        return b.gep(tp, [index], inbounds=True, source_etype=I64)

    def _transpose_and_store(self, b, t, typ, lanes, count, tp, n_in, col, w):
        for shift, mask, pairs in _TRANSPOSE:
            s, m = _const(typ, shift), _const(typ, mask)
            for i, j in pairs:
                d = b.and_(b.xor(b.lshr(t[i], s), t[j]), m)
                t[j] = b.xor(t[j], d)
                t[i] = b.xor(t[i], b.shl(d, s))
        for k in range(count):
            for lane in range(lanes):
                word = t[k] if lanes == 1 else b.extract_element(t[k], ir.Constant(I32, lane))
                plane = b.add(col, ir.Constant(I64, 8 * lane + k))
                b.store(word, self._word_address(b, tp, n_in, plane, w), align=8)

    def pack_block(self, name: str, typ, lanes: int):
        """Inputs col .. col + 8 * lanes - 1 of the 64 rows at p into plane word w (straight line)."""
        fn, b = self._function(name, [(PTR, "p"), (I64, "pitch"), (PTR, "tp"), (I64, "n_in"), (I64, "col"),
                                      (I64, "w")])
        p, pitch, tp, n_in, col, w = fn.args
        ones = _const(typ, 0x0101010101010101)
        start = self._byte_ptr(b, p, col)
        t = []
        for m in range(8):
            acc = None
            for j in range(8):
                row = self._byte_ptr(b, start, b.mul(pitch, ir.Constant(I64, 8 * m + j)))
                v = b.and_(b.load(row, typ=typ, align=1), ones)
                v = b.shl(v, _const(typ, j)) if j else v
                acc = v if acc is None else b.or_(acc, v)
            t.append(acc)
        self._transpose_and_store(b, t, typ, lanes, 8, tp, n_in, col, w)
        b.ret_void()
        return fn

    def pack_tail(self):
        """Inputs col .. col + n - 1 (n < 8) of the 64 rows at p: bytes copied one by one."""
        fn, b = self._function("pack_tail", [(PTR, "p"), (I64, "pitch"), (PTR, "tp"), (I64, "n_in"), (I64, "col"),
                                             (I64, "w"), (I64, "n")])
        p, pitch, tp, n_in, col, w, n = fn.args
        rows = b.alloca(I64, size=ir.Constant(I64, 8), name="t")
        for m in range(8):
            b.store(ir.Constant(I64, 0), b.gep(rows, [ir.Constant(I64, m)], inbounds=True, source_etype=I64))
        ones = ir.Constant(I64, 0x0101010101010101)
        word = b.alloca(I64, name="v")
        with _Loop(b, 0, ir.Constant(I64, 64), name="r") as r:
            row = self._byte_ptr(b, p, b.add(b.mul(r.index, pitch), col))
            b.store(ir.Constant(I64, 0), word)
            with _Loop(b, 0, n, name="byte") as k:
                byte = b.zext(b.load(self._byte_ptr(b, row, k.index), typ=I8), I64)
                b.store(b.or_(b.load(word, typ=I64), b.shl(byte, b.mul(k.index, ir.Constant(I64, 8)))), word)
            slot = b.gep(rows, [b.udiv(r.index, ir.Constant(I64, 8))], inbounds=True, source_etype=I64)
            bits = b.shl(b.and_(b.load(word, typ=I64), ones), b.urem(r.index, ir.Constant(I64, 8)))
            b.store(b.or_(b.load(slot, typ=I64), bits), slot)
        t = [b.load(b.gep(rows, [ir.Constant(I64, m)], inbounds=True, source_etype=I64), typ=I64) for m in range(8)]
        # Store only the n planes that exist: transpose, then a guarded store per plane.
        for shift, mask, pairs in _TRANSPOSE:
            s, m = ir.Constant(I64, shift), ir.Constant(I64, mask)
            for i, j in pairs:
                d = b.and_(b.xor(b.lshr(t[i], s), t[j]), m)
                t[j] = b.xor(t[j], d)
                t[i] = b.xor(t[i], b.shl(d, s))
        for k in range(7):
            with b.if_then(b.icmp_unsigned("<", ir.Constant(I64, k), n)):
                b.store(t[k], self._word_address(b, tp, n_in, b.add(col, ir.Constant(I64, k)), w), align=8)
        b.ret_void()
        return fn

    def pack(self):
        """n_words plane words of every input from 64 * n_words full rows at x."""
        vec = self.pack_block("pack_vector", self.V, self.lanes) if self.lanes > 1 else None
        word = self.pack_block("pack_word", I64, 1)
        tail = self.pack_tail()
        fn, b = self._function("pack", [(PTR, "x"), (I64, "n_in"), (I64, "n_words"), (PTR, "tp")])
        x, n_in, n_words, tp = fn.args
        col = b.alloca(I64, name="col")
        with _Loop(b, 0, n_words, name="w") as w:
            p = self._byte_ptr(b, x, b.mul(b.mul(w.index, ir.Constant(I64, 64)), n_in))
            b.store(ir.Constant(I64, 0), col)
            for block, width in ((vec, 8 * self.lanes), (word, 8)):
                if block is None:
                    continue
                head = b.function.append_basic_block(f"{block.name}.head")
                body = b.function.append_basic_block(f"{block.name}.body")
                done = b.function.append_basic_block(f"{block.name}.done")
                b.branch(head)
                b.position_at_end(head)
                c = b.load(col, typ=I64)
                b.cbranch(b.icmp_unsigned("<=", b.add(c, ir.Constant(I64, width)), n_in), body, done)
                b.position_at_end(body)
                b.call(block, [p, n_in, tp, n_in, c, w.index])
                b.store(b.add(c, ir.Constant(I64, width)), col)
                b.branch(head)
                b.position_at_end(done)
            c = b.load(col, typ=I64)
            with b.if_then(b.icmp_unsigned("<", c, n_in)):
                b.call(tail, [p, n_in, tp, n_in, c, w.index, b.sub(n_in, c)])
        b.ret_void()
        return fn

    def decode(self, lane_bits: int, out_bits: int):
        """Output planes of a tile -> n_rows rows of y, 16 rows at a time, lanes of ``lane_bits``."""
        lane, out = ir.IntType(lane_bits), ir.IntType(out_bits)
        vd = ir.VectorType(lane, 16)
        fn, b = self._function(f"decode{lane_bits}_{out_bits}", [(PTR, "tp"), (PTR, "net"), (I64, "n_rows"),
                                                                 (PTR, "y")])
        tp, net, n_rows, y = fn.args

        def field(index):
            return b.load(b.gep(net, [index], inbounds=True, source_etype=I64), typ=I64)

        n_planes, n_out = field(ir.Constant(I64, D_N_PLANES)), field(ir.Constant(I64, D_N_OUT))
        bit = ir.Constant(vd, [ir.Constant(lane, 1 << j) for j in range(16)])
        zero = ir.Constant(vd, [ir.Constant(lane, 0)] * 16)
        acc = b.alloca(vd, name="acc")
        with _Loop(b, 0, n_rows, 16, name="r") as r:
            w = b.udiv(r.index, ir.Constant(I64, 64))
            shift = b.urem(r.index, ir.Constant(I64, 64))
            left = b.sub(n_rows, r.index)
            n = b.select(b.icmp_unsigned("<", left, ir.Constant(I64, 16)), left, ir.Constant(I64, 16))
            with _Loop(b, 0, n_out, name="o") as o:
                pair = b.add(ir.Constant(I64, D_OUTPUTS), b.mul(o.index, ir.Constant(I64, 2)))
                start, width = field(pair), field(b.add(pair, ir.Constant(I64, 1)))
                b.store(zero, acc)
                with _Loop(b, 0, width, name="bit") as k:
                    word = b.load(self._word_address(b, tp, n_planes, b.add(start, k.index), w), typ=I64)
                    seg = b.zext(b.trunc(b.lshr(word, shift), I16), lane)
                    hit = b.sext(b.icmp_unsigned("!=", b.and_(_splat(b, seg, vd), bit), zero), vd)
                    place = b.shl(_const(vd, 1), _splat(b, b.trunc(k.index, lane), vd))
                    b.store(b.or_(b.load(acc, typ=vd), b.and_(hit, place)), acc)
                value = b.load(acc, typ=vd)
                with _Loop(b, 0, n, name="j") as j:
                    item = b.extract_element(value, j.index)
                    if out_bits != lane_bits:
                        item = b.trunc(item, out) if out_bits < lane_bits else b.zext(item, out)
                    index = b.add(b.mul(b.add(r.index, j.index), n_out), o.index)
                    b.store(item, b.gep(y, [index], inbounds=True, source_etype=out))
        b.ret_void()
        return fn

    def run(self):
        """``gatecc_rt_run``: the tile loop (see runtime.c)."""
        pack = self.pack()
        decoders = {(lb, ob): self.decode(lb, ob) for lb in (16, 32) for ob in (8, 32)}
        fn, b = self._function("gatecc_rt_run", [(PTR, "net"), (PTR, "x"), (I64, "n_rows"), (PTR, "y"),
                                                 (PTR, "work")], internal=False)
        net, x, n_rows, y, work = fn.args

        def field(index):
            return b.load(b.gep(net, [ir.Constant(I64, index)], inbounds=True, source_etype=I64), typ=I64)

        words_type = ir.FunctionType(VOID, [PTR, PTR, PTR, I64])
        words = b.inttoptr(field(D_WORDS_FN), ir.PointerType(words_type))
        n_in, n_planes, n_out = field(D_N_IN), field(D_N_PLANES), field(D_N_OUT)
        tile_words = field(D_TILE_WORDS)
        tile_rows = b.mul(tile_words, ir.Constant(I64, 64))
        counts = b.icmp_unsigned("!=", field(D_COUNTS), ir.Constant(I64, 0))
        narrow = b.icmp_unsigned("<=", field(D_WIDEST), ir.Constant(I64, 16))
        out_bytes = b.select(counts, ir.Constant(I64, 4), ir.Constant(I64, 1))
        tin = self._byte_ptr(b, work, field(D_SCRATCH_BYTES))
        tout = b.gep(tin, [b.mul(n_in, tile_words)], inbounds=True, source_etype=I64)
        some_planes = b.select(b.icmp_unsigned("==", n_planes, ir.Constant(I64, 0)), ir.Constant(I64, 1), n_planes)
        stage = b.gep(tout, [b.mul(some_planes, tile_words)], inbounds=True, source_etype=I64)
        rows_ptr = b.alloca(PTR, name="rows")
        lanes = ir.Constant(I64, self.lanes)
        with _Loop(b, 0, n_rows, tile_rows, name="tile") as r:
            left = b.sub(n_rows, r.index)
            nr = b.select(b.icmp_unsigned("<", left, tile_rows), left, tile_rows)
            per_vector = ir.Constant(I64, 64 * self.lanes)
            n_words = b.mul(b.udiv(b.add(nr, ir.Constant(I64, 64 * self.lanes - 1)), per_vector), lanes)
            rows = self._byte_ptr(b, x, b.mul(r.index, n_in))
            b.store(rows, rows_ptr)
            padded = b.mul(n_words, ir.Constant(I64, 64))
            with b.if_then(b.icmp_unsigned("<", nr, padded)):  # the last tile: pad with zero rows
                used = b.mul(nr, n_in)
                b.call(self.memcpy, [stage, rows, used, ir.Constant(I1, 0)])
                b.call(self.memset, [self._byte_ptr(b, stage, used), ir.Constant(I8, 0),
                                     b.mul(b.sub(padded, nr), n_in), ir.Constant(I1, 0)])
                b.store(stage, rows_ptr)
            b.call(pack, [b.load(rows_ptr, typ=PTR), n_in, n_words, tin])
            b.call(words, [tin, tout, work, b.udiv(n_words, lanes)])
            target = self._byte_ptr(b, y, b.mul(b.mul(r.index, n_out), out_bytes))
            with b.if_then(b.icmp_unsigned("!=", n_out, ir.Constant(I64, 0))):
                for (lb, ob), decoder in decoders.items():
                    cond = b.and_(narrow if lb == 16 else b.not_(narrow), counts if ob == 32 else b.not_(counts))
                    with b.if_then(cond):
                        b.call(decoder, [tout, net, nr, target])
        b.ret_void()
        info, b = self._function("gatecc_rt_info", [(PTR, "info")], internal=False)
        b.store(ir.Constant(I64, ABI_VERSION), info.args[0])
        b.store(ir.Constant(I64, self.lanes), b.gep(info.args[0], [ir.Constant(I64, 1)], source_etype=I64))
        b.ret_void()
        return self.module


def runtime_ir(vector_bits: int) -> str:
    """The runtime module as LLVM IR text."""
    return str(RuntimeBuilder(vector_bits).run())
