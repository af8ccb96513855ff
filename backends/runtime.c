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
 * Packing (AVX2, where the compiler targets it and rows have >= 32 inputs): per 64 samples, each
 * group of 8 rows is read front to back, 32 bytes of each row at a time, and shifted into one byte
 * vector (bit j from row j); each 32-input block's 8 vectors are then byte-transposed into its 32
 * plane words.  Portable (-DGATECC_PACK_PORTABLE forces it): each row read front to back, 64 bytes
 * to a word by a multiply per 8 bytes, then 64 x 64 bit transposes.  Both read rows sequentially.
 *
 * Threads: gatecc_rt_run_threads hands the tiles of a batch out one at a time to the caller
 * and detached pthreads, each with its own work buffer: no Python thread, no GIL hand-off, and
 * a thread the OS schedules late takes fewer tiles instead of holding the call up.
 *
 * Decoding: 16 samples sit in the lanes of a uint16 (uint32 for counts wider
 * than 16 bits) vector; for each plane of an output, the samples' 16 bits are
 * broadcast, every lane tests its own bit and the result is ORed into place.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
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

static inline uint64_t load_word(const uint8_t *p) { uint64_t v; memcpy(&v, p, sizeof v); return v; }

/* Bit j of the result = bit 0 of byte j of the 8 bytes at p (each 0/1): the masked bytes times
   0x0102040810204080 put byte j's bit at bit 56 + j, and no two partial products share a bit. */
static inline uint64_t bits8(const uint8_t *p)
{
    return ((load_word(p) & 0x0101010101010101ULL) * 0x0102040810204080ULL) >> 56;
}

#if defined(__AVX2__) && !defined(GATECC_PACK_PORTABLE)
#include <immintrin.h>
#define PACK_PATH 1  /* AVX2: 8 rows' bytes shifted into one byte vector, then a byte transpose */

/* The 32-byte vectors g[k] (k = 0..7): byte c of g[k] = bit j of input c of row 8k + j.  Out: word c (c < 32)
   = byte k of word c is byte c of g[k], i.e. an 8 x 32 -> 32 x 8 byte transpose.  The unpacks work within
   128-bit lanes, so vector m of the last step holds the words of inputs 2m, 2m+1 (low lane) and 16+2m,
   17+2m (high lane). */
static inline void byte_transpose(const __m256i g[8], uint64_t *restrict out)
{
    __m256i a[8], b[8];
    for (int k = 0; k < 4; ++k) {
        a[2 * k] = _mm256_unpacklo_epi8(g[2 * k], g[2 * k + 1]);       /* inputs 0..7 of each lane */
        a[2 * k + 1] = _mm256_unpackhi_epi8(g[2 * k], g[2 * k + 1]);   /* inputs 8..15 */
    }
    for (int h = 0; h < 2; ++h)          /* h: the four groups 0..3 (h = 0) or 4..7 (h = 1) */
        for (int q = 0; q < 2; ++q) {    /* q: inputs 0..7 or 8..15 of the lane */
            b[4 * h + 2 * q] = _mm256_unpacklo_epi16(a[4 * h + q], a[4 * h + 2 + q]);
            b[4 * h + 2 * q + 1] = _mm256_unpackhi_epi16(a[4 * h + q], a[4 * h + 2 + q]);
        }
    for (int r = 0; r < 4; ++r) {        /* r: inputs 4r..4r+3 of the lane */
        uint64_t v[8] __attribute__((aligned(32)));
        _mm256_store_si256((__m256i *)v, _mm256_unpacklo_epi32(b[r], b[4 + r]));
        _mm256_store_si256((__m256i *)(v + 4), _mm256_unpackhi_epi32(b[r], b[4 + r]));
        out[4 * r] = v[0]; out[4 * r + 1] = v[1]; out[16 + 4 * r] = v[2]; out[17 + 4 * r] = v[3];
        out[4 * r + 2] = v[4]; out[4 * r + 3] = v[5]; out[18 + 4 * r] = v[6]; out[19 + 4 * r] = v[7];
    }
}

/* Most 32-input blocks of one row group held at once (rows of up to 32 * PACK_COLS inputs in one pass). */
#define PACK_COLS 64

/* n_words plane words of every input from 64 * n_words full rows at x (n_in >= 32).  Per word of 64 rows:
   each group of 8 rows is read front to back, 32 bytes of each row at a time, masked to bit 0 and shifted
   into one byte vector (bit j from row j of the group); then each 32-input block's 8 vectors are byte
   transposed into its 32 plane words.  A row's last, partial block is its last 32 bytes (overlapping the
   block before it, which writes the same words). */
static void pack_wide(const uint8_t *restrict x, size_t n_in, size_t n_words, uint64_t *restrict tp)
{
    __m256i g[PACK_COLS][8];
    uint64_t words[32];
    const __m256i one = _mm256_set1_epi8(1);
    const size_t n_blocks = (n_in + 31) / 32;
    for (size_t w = 0; w < n_words; ++w)
        for (size_t b0 = 0; b0 < n_blocks; b0 += PACK_COLS) {
            const size_t nb = n_blocks - b0 < PACK_COLS ? n_blocks - b0 : PACK_COLS;
            for (int k = 0; k < 8; ++k) {
                const uint8_t *group = x + (64 * w + 8 * (size_t)k) * n_in;
                for (size_t b = 0; b < nb; ++b) {
                    const size_t col = 32 * (b0 + b) + 32 <= n_in ? 32 * (b0 + b) : n_in - 32;
                    __m256i v = _mm256_setzero_si256();
                    for (int j = 0; j < 8; ++j) {
                        const __m256i r = _mm256_and_si256(
                            _mm256_loadu_si256((const __m256i *)(group + (size_t)j * n_in + col)), one);
                        v = _mm256_or_si256(v, _mm256_slli_epi64(r, j));
                    }
                    g[b][k] = v;
                }
            }
            for (size_t b = 0; b < nb; ++b) {
                const size_t col = 32 * (b0 + b) + 32 <= n_in ? 32 * (b0 + b) : n_in - 32;
                byte_transpose(g[b], words);
                for (size_t c = 0; c < 32; ++c)
                    WORD(tp, n_in, col + c, w) = words[c];
            }
        }
}
#else
#define PACK_PATH 0  /* portable: one multiply per 8 bytes */
#endif

/* 64 bits from the 64 bytes at p (each 0/1): bit j = bit 0 of byte j, one multiply per 8 bytes. */
static inline uint64_t bits64(const uint8_t *p)
{
    uint64_t w = 0;
    for (int g = 0; g < 8; ++g) w |= bits8(p + 8 * g) << (8 * g);
    return w;
}

/* Transpose the 64x64 bit matrix a (bit c of a[r] <-> bit r of a[c]): swap ever smaller off-diagonal
   blocks; the wide steps work on four rows at once (a 256-bit vector, or two 128-bit halves). */
typedef uint64_t V4 __attribute__((vector_size(32)));
static inline void transpose64(uint64_t *a)
{
    static const uint64_t masks[6] = {0x00000000FFFFFFFFULL, 0x0000FFFF0000FFFFULL, 0x00FF00FF00FF00FFULL,
                                      0x0F0F0F0F0F0F0F0FULL, 0x3333333333333333ULL, 0x5555555555555555ULL};
    int level = 0;
    for (int j = 32; j >= 4; j >>= 1, ++level)
        for (int k = 0; k < 64; k += 2 * j)
            for (int i = k; i < k + j; i += 4) {
                V4 x, y;
                memcpy(&x, a + i, sizeof x);
                memcpy(&y, a + i + j, sizeof y);
                SWAP(V4, x, y, j, masks[level]);
                memcpy(a + i, &x, sizeof x);
                memcpy(a + i + j, &y, sizeof y);
            }
    for (int j = 2; j >= 1; j >>= 1, ++level)
        for (int k = 0; k < 64; k += 2 * j)
            for (int i = k; i < k + j; ++i)
                SWAP(uint64_t, a[i], a[i + j], j, masks[level]);
}

/* Input blocks of 64 transposed per pass over the rows: 64 rows x PACK_BLOCKS words stay in L1. */
#define PACK_BLOCKS 16

/* The portable packer (and every path's for rows of under 32 inputs): n_words plane words of every input
   from 64 * n_words full rows at x.  Each row is read front to back (its bytes -> bits, 64 inputs per
   word), then each 64-sample x 64-input block is bit-transposed. */
static void pack_portable(const uint8_t *restrict x, size_t n_in, size_t n_words, uint64_t *restrict tp)
{
    uint64_t m[PACK_BLOCKS * 64] __attribute__((aligned(64)));
    const size_t n_blocks = (n_in + 63) / 64;
    for (size_t w = 0; w < n_words; ++w)
        for (size_t b0 = 0; b0 < n_blocks; b0 += PACK_BLOCKS) {
            const size_t nb = n_blocks - b0 < PACK_BLOCKS ? n_blocks - b0 : PACK_BLOCKS;
            for (size_t r = 0; r < 64; ++r) {
                const uint8_t *row = x + (64 * w + r) * n_in;
                for (size_t b = 0; b < nb; ++b) {
                    const size_t col = 64 * (b0 + b);
                    if (col + 64 <= n_in) {
                        m[64 * b + r] = bits64(row + col);
                    } else if (n_in >= 64) {  /* the last, partial block: the row's last 64 bytes, shifted */
                        m[64 * b + r] = bits64(row + n_in - 64) >> (64 - (n_in - col));
                    } else {  /* a row shorter than 64 bytes: never read past it */
                        uint8_t tail[64] = {0};
                        memcpy(tail, row + col, n_in - col);
                        m[64 * b + r] = bits64(tail);
                    }
                }
            }
            for (size_t b = 0; b < nb; ++b) {
                const size_t col = 64 * (b0 + b), n = n_in - col < 64 ? n_in - col : 64;
                transpose64(m + 64 * b);
                for (size_t k = 0; k < n; ++k)
                    WORD(tp, n_in, col + k, w) = m[64 * b + k];
            }
        }
}

/* n_words plane words of every input from 64 * n_words full rows at x (the AVX2 packer where built). */
static void pack(const uint8_t *restrict x, size_t n_in, size_t n_words, uint64_t *restrict tp)
{
#if PACK_PATH == 1
    if (n_in >= 32) {
        pack_wide(x, n_in, n_words, tp);
        return;
    }
#endif
    pack_portable(x, n_in, n_words, tp);
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

/* A call of gatecc_rt_run_threads, shared by its threads.  Tiles are handed out one at a time (next), so a
   thread the OS runs late (a loaded machine) takes fewer tiles instead of holding the call up: the caller
   waits only for tiles already taken.  Helpers are detached; the last thread out frees the call, so a
   helper that starts after the call returned finds no tile, touches no buffer of the caller, and exits. */
struct rt_call {
    const uint64_t *net;
    const uint8_t *x;
    char *y;
    void *const *works;
    size_t n_rows, tile_rows, tiles, row_out, next_worker;
    size_t next, done;          /* tiles handed out, tiles finished: under lock */
    int refs;                   /* threads still holding the call: under lock */
    pthread_mutex_t lock;
    pthread_cond_t finished;
};

/* Take and run tiles until none is left, with work buffer `work`. */
static void rt_tiles(struct rt_call *c, void *work)
{
    for (;;) {
        pthread_mutex_lock(&c->lock);
        const size_t t = c->next < c->tiles ? c->next++ : c->tiles;
        pthread_mutex_unlock(&c->lock);
        if (t == c->tiles)
            return;
        const size_t a = t * c->tile_rows, n = c->n_rows - a < c->tile_rows ? c->n_rows - a : c->tile_rows;
        gatecc_rt_run(c->net, c->x + a * c->net[D_N_IN], n, c->y + a * c->row_out, work);
        pthread_mutex_lock(&c->lock);
        if (++c->done == c->tiles)
            pthread_cond_signal(&c->finished);
        pthread_mutex_unlock(&c->lock);
    }
}

static void rt_release(struct rt_call *c)
{
    pthread_mutex_lock(&c->lock);
    const int last = --c->refs == 0;
    pthread_mutex_unlock(&c->lock);
    if (last) {
        pthread_mutex_destroy(&c->lock);
        pthread_cond_destroy(&c->finished);
        free(c);
    }
}

static void *rt_helper(void *arg)
{
    struct rt_call *c = arg;
    pthread_mutex_lock(&c->lock);
    void *work = c->next < c->tiles ? c->works[c->next_worker++] : NULL;   /* a buffer no other thread has */
    pthread_mutex_unlock(&c->lock);
    if (work)
        rt_tiles(c, work);
    rt_release(c);
    return NULL;
}

/* gatecc_rt_run over up to n_threads threads (the caller and n_threads - 1 detached pthreads), tiles
   handed out one at a time; works[t] are n_threads work buffers.  Returns when every row is done. */
void gatecc_rt_run_threads(const uint64_t *net, const uint8_t *x, size_t n_rows, void *y, void *const *works,
                           size_t n_threads)
{
    const size_t tile_rows = 64 * net[D_TILE_WORDS], tiles = (n_rows + tile_rows - 1) / tile_rows;
    if (n_threads > tiles) n_threads = tiles;
    struct rt_call *c = n_threads > 1 ? malloc(sizeof *c) : NULL;
    if (c == NULL) {   /* one thread (or no memory for the call): the plain loop */
        gatecc_rt_run(net, x, n_rows, y, works[0]);
        return;
    }
    *c = (struct rt_call){.net = net, .x = x, .y = y, .works = works, .n_rows = n_rows, .tile_rows = tile_rows,
                          .tiles = tiles, .row_out = net[D_N_OUT] * (net[D_COUNTS] ? 4 : 1), .next_worker = 1,
                          .refs = 1};
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->finished, NULL);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    for (size_t t = 1; t < n_threads; ++t) {
        pthread_t id;
        pthread_mutex_lock(&c->lock);
        ++c->refs;
        pthread_mutex_unlock(&c->lock);
        if (pthread_create(&id, &attr, rt_helper, c) != 0) {
            rt_release(c);   /* not started: the other threads take its tiles */
            break;
        }
    }
    pthread_attr_destroy(&attr);
    rt_tiles(c, works[0]);
    pthread_mutex_lock(&c->lock);
    while (c->done < c->tiles)
        pthread_cond_wait(&c->finished, &c->lock);
    pthread_mutex_unlock(&c->lock);
    rt_release(c);
}

/* What this runtime was built for, so the loader can check it. */
void gatecc_rt_info(uint64_t *info)
{
    info[0] = ABI;
    info[1] = LANES;
    info[2] = PACK_PATH;
}
