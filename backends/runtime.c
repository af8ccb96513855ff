/* gatecc native runtime: the bool path shared by every net the C backend builds.
 *
 * Compiled once per vector width (-DGATECC_VECTOR_BYTES=8, 16, 32 or 64) and
 * cached; a net's own code only evaluates its gates (gatecc_words).  For
 * each tile of rows, gatecc_rt_run packs the rows (one 0/1 byte per input)
 * into bit planes, calls the net through the function pointer in its
 * descriptor, and decodes the output planes into rows, so a tile never
 * leaves the cache.  See gatecc/backends/native.py for the descriptor and
 * the work buffer, and gatecc/backends/c_runtime.py for how it is built.
 *
 * Packing: eight bytes of a row (eight inputs of one sample) are a uint64;
 * OR-ing eight rows shifted by 0..7 gives, in byte k, eight samples' bits of
 * input k; an 8x8 byte transpose of eight such words gives each input's
 * 64-sample plane word.  On vectors, a lane per group of eight inputs.
 *
 * Decoding: 16 samples sit in the lanes of a uint16 (uint32 for counts wider
 * than 16 bits) vector; for each plane of an output, the samples' 16 bits are
 * broadcast, every lane tests its own bit and the result is ORed into place.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifndef GATECC_VECTOR_BYTES
#error "compile with -DGATECC_VECTOR_BYTES=8, 16, 32 or 64"
#endif
#define LANES (GATECC_VECTOR_BYTES / 8)
#if LANES > 1
typedef uint64_t V __attribute__((vector_size(GATECC_VECTOR_BYTES)));
#define LANE(x, l) ((x)[l])
#else
typedef uint64_t V;
#define LANE(x, l) (x)
#endif

/* The net descriptor: an array of uint64, then (start plane, width) per output.
   Its field indices and the ABI version come from gatecc/backends/abi.py (c_definitions). */
@GATECC_ABI@

typedef void (*words_fn)(const V *in, V *out, V *scratch, size_t n_vec);

/* uint64 word w of plane p in a word-major tile of n planes (all planes of vector word 0, then 1, ...). */
#define WORD(tile, n, p, w) ((tile)[((w) / LANES * (size_t)(n) + (p)) * LANES + (w) % LANES])

/* Swap the high half of each 2*shift-bit group of a with the low half of b's. */
#define SWAP(T, a, b, shift, mask) do { \
        const T d_ = (((a) >> (shift)) ^ (b)) & (mask); (b) ^= d_; (a) ^= d_ << (shift); } while (0)

/* Byte k of t[m] <-> byte m of t[k], in every uint64 lane. */
#define TRANSPOSE8(T, t) do { \
        SWAP(T, t[0], t[4], 32, 0x00000000FFFFFFFFULL); SWAP(T, t[1], t[5], 32, 0x00000000FFFFFFFFULL); \
        SWAP(T, t[2], t[6], 32, 0x00000000FFFFFFFFULL); SWAP(T, t[3], t[7], 32, 0x00000000FFFFFFFFULL); \
        SWAP(T, t[0], t[2], 16, 0x0000FFFF0000FFFFULL); SWAP(T, t[1], t[3], 16, 0x0000FFFF0000FFFFULL); \
        SWAP(T, t[4], t[6], 16, 0x0000FFFF0000FFFFULL); SWAP(T, t[5], t[7], 16, 0x0000FFFF0000FFFFULL); \
        SWAP(T, t[0], t[1], 8, 0x00FF00FF00FF00FFULL); SWAP(T, t[2], t[3], 8, 0x00FF00FF00FF00FFULL); \
        SWAP(T, t[4], t[5], 8, 0x00FF00FF00FF00FFULL); SWAP(T, t[6], t[7], 8, 0x00FF00FF00FF00FFULL); \
    } while (0)

/* Eight rows (pitch bytes apart) of one 8-byte group per lane, row j shifted by j. */
#define GATHER8(T, acc, p, pitch, LOAD) do { \
        acc = LOAD((p)) & ones; \
        acc |= (LOAD((p) + (pitch)) & ones) << 1; \
        acc |= (LOAD((p) + 2 * (pitch)) & ones) << 2; \
        acc |= (LOAD((p) + 3 * (pitch)) & ones) << 3; \
        acc |= (LOAD((p) + 4 * (pitch)) & ones) << 4; \
        acc |= (LOAD((p) + 5 * (pitch)) & ones) << 5; \
        acc |= (LOAD((p) + 6 * (pitch)) & ones) << 6; \
        acc |= (LOAD((p) + 7 * (pitch)) & ones) << 7; \
    } while (0)

static inline V load_vector(const uint8_t *p) { V v; memcpy(&v, p, sizeof v); return v; }
static inline uint64_t load_word(const uint8_t *p) { uint64_t v; memcpy(&v, p, sizeof v); return v; }

/* Inputs col .. col + 8 * LANES - 1 of the 64 rows at p into plane word w. */
static inline void pack_vector(const uint8_t *restrict p, size_t pitch, uint64_t *restrict tp, size_t n_in,
                               size_t col, size_t w)
{
    const V ones = (V){0} + 0x0101010101010101ULL;
    V t[8];
    for (int m = 0; m < 8; ++m)
        GATHER8(V, t[m], p + (size_t)(8 * m) * pitch + col, pitch, load_vector);
    TRANSPOSE8(V, t);
    for (int k = 0; k < 8; ++k)
        for (int l = 0; l < LANES; ++l)
            WORD(tp, n_in, col + 8 * l + k, w) = LANE(t[k], l);
}

/* Inputs col .. col + n - 1 (n <= 8) of the 64 rows at p into plane word w. */
static inline void pack_word(const uint8_t *restrict p, size_t pitch, uint64_t *restrict tp, size_t n_in,
                             size_t col, size_t w, size_t n)
{
    const uint64_t ones = 0x0101010101010101ULL;
    uint64_t t[8];
    if (n == 8) {
        for (int m = 0; m < 8; ++m)
            GATHER8(uint64_t, t[m], p + (size_t)(8 * m) * pitch + col, pitch, load_word);
    } else {
        /* Fewer than 8 inputs left: copy them into zeroed words (never read past a row). */
        for (int m = 0; m < 8; ++m) {
            t[m] = 0;
            for (int j = 0; j < 8; ++j) {
                uint64_t v = 0;
                memcpy(&v, p + (size_t)(8 * m + j) * pitch + col, n);
                t[m] |= (v & ones) << j;
            }
        }
    }
    TRANSPOSE8(uint64_t, t);
    for (size_t k = 0; k < n; ++k)
        WORD(tp, n_in, col + k, w) = t[k];
}

/* n_words plane words of every input from 64 * n_words full rows at x. */
static void pack(const uint8_t *restrict x, size_t n_in, size_t n_words, uint64_t *restrict tp)
{
    for (size_t w = 0; w < n_words; ++w) {
        const uint8_t *p = x + 64 * w * n_in;
        size_t col = 0;
        if (LANES > 1)
            for (; col + 8 * LANES <= n_in; col += 8 * LANES)
                pack_vector(p, n_in, tp, n_in, col, w);
        for (; col < n_in; col += 8)
            pack_word(p, n_in, tp, n_in, col, w, n_in - col < 8 ? n_in - col : 8);
    }
}

static const uint32_t BITS[16] = {1u, 2u, 4u, 8u, 16u, 32u, 64u, 128u, 256u, 512u, 1024u, 2048u, 4096u, 8192u,
                                  16384u, 32768u};

/* decode16 / decode32: output planes of a tile -> n_rows rows of y, 16 rows at a time. */
#define DEFINE_DECODE(NAME, LANE_T, BYTES)                                                                      \
typedef LANE_T NAME##_vector __attribute__((vector_size(BYTES)));                                              \
static void NAME(const uint64_t *restrict tp, const uint64_t *restrict net, size_t n_rows, void *restrict y)   \
{                                                                                                              \
    typedef NAME##_vector VD;                                                                                  \
    const size_t n_planes = net[D_N_PLANES], n_out = net[D_N_OUT];                                             \
    const uint64_t *outs = net + D_OUTPUTS;                                                                    \
    VD bit;                                                                                                    \
    for (int j = 0; j < 16; ++j) bit[j] = (LANE_T)BITS[j];                                                     \
    for (size_t r = 0; r < n_rows; r += 16) {                                                                  \
        const size_t w = r / 64, n = n_rows - r < 16 ? n_rows - r : 16;                                        \
        const unsigned shift = r % 64;                                                                         \
        for (size_t o = 0; o < n_out; ++o) {                                                                   \
            const size_t start = outs[2 * o], width = outs[2 * o + 1];                                         \
            VD acc = {0};                                                                                      \
            for (size_t b = 0; b < width; ++b) {                                                               \
                const LANE_T seg = (LANE_T)(uint16_t)(WORD(tp, n_planes, start + b, w) >> shift);              \
                acc |= (VD)((seg & bit) != 0) & (LANE_T)(1u << b);                                             \
            }                                                                                                  \
            if (net[D_COUNTS])                                                                                 \
                for (size_t j = 0; j < n; ++j) ((int32_t *)y)[(r + j) * n_out + o] = (int32_t)acc[j];          \
            else                                                                                               \
                for (size_t j = 0; j < n; ++j) ((uint8_t *)y)[(r + j) * n_out + o] = (uint8_t)acc[j];          \
        }                                                                                                      \
    }                                                                                                          \
}
DEFINE_DECODE(decode16, uint16_t, 32)
DEFINE_DECODE(decode32, uint32_t, 64)

/* Rows x (n_rows x n_in bytes, 0/1) -> rows y (uint8 bits or int32 counts) for the net described by net. */
void gatecc_rt_run(const uint64_t *net, const uint8_t *x, size_t n_rows, void *y, void *work)
{
    const words_fn words = (words_fn)(uintptr_t)net[D_WORDS_FN];
    const size_t n_in = net[D_N_IN], n_planes = net[D_N_PLANES], n_out = net[D_N_OUT];
    const size_t tile_words = net[D_TILE_WORDS], tile_rows = 64 * tile_words;
    const size_t out_bytes = net[D_COUNTS] ? 4 : 1;
    V *scratch = (V *)work;
    uint64_t *tin = (uint64_t *)((char *)work + net[D_SCRATCH_BYTES]);
    uint64_t *tout = tin + n_in * tile_words;
    uint8_t *stage = (uint8_t *)(tout + (n_planes ? n_planes : 1) * tile_words);
    for (size_t r = 0; r < n_rows; r += tile_rows) {
        const size_t nr = n_rows - r < tile_rows ? n_rows - r : tile_rows;
        const size_t n_words = (nr + 64 * LANES - 1) / (64 * LANES) * LANES;
        const uint8_t *rows = x + r * n_in;
        if (nr < 64 * n_words) {  /* the last tile: pad with zero rows */
            memcpy(stage, rows, nr * n_in);
            memset(stage + nr * n_in, 0, (64 * n_words - nr) * n_in);
            rows = stage;
        }
        pack(rows, n_in, n_words, tin);
        words((const V *)tin, (V *)tout, scratch, n_words / LANES);
        if (n_out == 0)
            continue;
        if (net[D_WIDEST] <= 16)
            decode16(tout, net, nr, (char *)y + r * n_out * out_bytes);
        else
            decode32(tout, net, nr, (char *)y + r * n_out * out_bytes);
    }
}

/* What this runtime was built for, so the loader can check it. */
void gatecc_rt_info(uint64_t *info)
{
    info[0] = ABI;
    info[1] = LANES;
}
