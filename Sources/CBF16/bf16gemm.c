#include "bf16gemm.h"

#include <stdlib.h>
#include <string.h>

#define MR RAM_BF16_MR
#define NR RAM_BF16_NR
#define NV (NR / 16) /* zmm registers per tile row */

static int pairs_of(int k) { return (k + 1) / 2; }

size_t ram_bf16_packed_weights_count(int m, int k) {
    size_t strips = (size_t)(m + MR - 1) / MR;
    return strips * (size_t)pairs_of(k) * MR * 2;
}

static uint16_t to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40); /* quiet NaN */
    u += 0x7fffu + ((u >> 16) & 1u); /* round to nearest even */
    return (uint16_t)(u >> 16);
}

void ram_bf16_round(const float *src, float *dst, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t u = (uint32_t)to_bf16(src[i]) << 16;
        memcpy(dst + i, &u, 4);
    }
}

void ram_bf16_pack_weights(int m, int k, const float *w, ptrdiff_t ldw, uint16_t *packed) {
    int kp = pairs_of(k), strips = (m + MR - 1) / MR;
    for (int s = 0; s < strips; s++) {
        for (int p = 0; p < kp; p++) {
            uint16_t *d = packed + ((size_t)s * kp + p) * MR * 2;
            for (int r = 0; r < MR; r++) {
                int row = s * MR + r;
                float a = 0, b = 0;
                if (row < m) {
                    a = w[row * ldw + 2 * p];
                    if (2 * p + 1 < k) b = w[row * ldw + 2 * p + 1];
                }
                d[2 * r] = to_bf16(a);
                d[2 * r + 1] = to_bf16(b);
            }
        }
    }
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#include <pthread.h>

int ram_bf16_available(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    if (!(c & (1u << 27))) return 0; /* OSXSAVE */
    unsigned lo, hi;
    __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0xe6u) != 0xe6u) return 0; /* XMM, YMM, opmask, ZMM_Hi256, Hi16_ZMM state */
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    if (!(b & (1u << 16)) || !(b & (1u << 30)) || !(b & (1u << 31))) return 0; /* F, BW, VL */
    __cpuid_count(7, 1, a, b, c, d);
    return (a & (1u << 5)) != 0; /* AVX512_BF16 */
}

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

/* Per-thread column panel, kept between calls (grown when a call needs more) and freed when
 * its thread exits (a pthread key's destructor: worker threads come and go). */
typedef struct {
    uint16_t *data;
    size_t capacity;
} panel_t;

static pthread_key_t panel_key;
static pthread_once_t panel_once = PTHREAD_ONCE_INIT;

static void panel_free(void *p) {
    panel_t *panel = p;
    free(panel->data);
    free(panel);
}

static void panel_key_create(void) {
    if (pthread_key_create(&panel_key, panel_free) != 0) abort();
}

static uint16_t *panel_for(size_t count) {
    pthread_once(&panel_once, panel_key_create);
    panel_t *panel = pthread_getspecific(panel_key);
    if (!panel) {
        panel = calloc(1, sizeof *panel);
        if (!panel || pthread_setspecific(panel_key, panel) != 0) abort();
    }
    if (count > panel->capacity) {
        free(panel->data);
        panel->data = aligned_alloc(64, (count * 2 + 63) / 64 * 64);
        if (!panel->data) abort();
        panel->capacity = count;
    }
    return panel->data;
}

/* Packs columns [j0, j0 + cols) of X into groups of NR columns: group g, k-pair p holds NR
 * columns × (row 2p, row 2p + 1) interleaved as bf16, zero beyond the columns and k. */
TARGET static void pack_panel(int k, int kc, const float *x, ptrdiff_t ldx, const ptrdiff_t *tap, int j0, int cols,
                              uint16_t *panel) {
    int kp = pairs_of(k), groups = (cols + NR - 1) / NR;
    /* Lane 2j takes bf16 j of the low row, lane 2j+1 bf16 j of the high row. */
    const __m512i interleave = _mm512_set_epi16(
        31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
        23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    for (int p = 0; p < kp; p++) {
        int r0 = 2 * p, r1 = 2 * p + 1;
        const float *x0 = x + (ptrdiff_t)(r0 % kc) * ldx + (tap ? tap[r0 / kc] : 0) + j0;
        const float *x1 = r1 < k ? x + (ptrdiff_t)(r1 % kc) * ldx + (tap ? tap[r1 / kc] : 0) + j0 : NULL;
        for (int g = 0; g < groups; g++) {
            uint16_t *d = panel + ((size_t)g * kp + p) * NR * 2;
            for (int v = 0; v < NV; v++) {
                int j = g * NR + v * 16;
                int left = cols - j;
                __m512 a, b;
                if (left >= 16) {
                    a = _mm512_loadu_ps(x0 + j);
                    b = x1 ? _mm512_loadu_ps(x1 + j) : _mm512_setzero_ps();
                } else if (left > 0) {
                    __mmask16 mask = (__mmask16)((1u << left) - 1);
                    a = _mm512_maskz_loadu_ps(mask, x0 + j);
                    b = x1 ? _mm512_maskz_loadu_ps(mask, x1 + j) : _mm512_setzero_ps();
                } else {
                    a = b = _mm512_setzero_ps();
                }
                __m512i both = (__m512i)_mm512_cvtne2ps_pbh(b, a); /* low 16: a, high 16: b */
                _mm512_storeu_si512((void *)(d + v * 32), _mm512_permutexvar_epi16(interleave, both));
            }
        }
    }
}

/* One MR×NR tile: rows of the packed strip w (k-pair p: MR pairs), columns from the panel
 * group xp (k-pair p: NR pairs). Stores `rows` rows; `mask0/1` select the valid columns. */
TARGET static inline void tile(int kp, const uint16_t *w, const uint16_t *xp, float *c, ptrdiff_t ldc, int rows,
                               __mmask16 mask0, __mmask16 mask1, int accumulate) {
    __m512 acc[MR][NV];
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; r++)
#pragma clang loop unroll(full)
        for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_ps();
    const uint32_t *wp = (const uint32_t *)w;
    for (int p = 0; p < kp; p++) {
        __m512bh xv[NV];
#pragma clang loop unroll(full)
        for (int v = 0; v < NV; v++) xv[v] = (__m512bh)_mm512_loadu_si512((const void *)(xp + v * 32));
#pragma clang loop unroll(full)
        for (int r = 0; r < MR; r++) {
            __m512bh wb = (__m512bh)_mm512_set1_epi32((int)wp[r]);
#pragma clang loop unroll(full)
            for (int v = 0; v < NV; v++) acc[r][v] = _mm512_dpbf16_ps(acc[r][v], wb, xv[v]);
        }
        wp += MR;
        xp += NR * 2;
    }
    __mmask16 masks[2] = {mask0, mask1};
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; r++) {
        float *q = c + r * ldc;
#pragma clang loop unroll(full)
        for (int v = 0; v < NV && r < rows; v++) {
            __mmask16 m = masks[v];
            if (m == 0xffff) {
                __m512 o = acc[r][v];
                if (accumulate) o = _mm512_add_ps(o, _mm512_loadu_ps(q + 16 * v));
                _mm512_storeu_ps(q + 16 * v, o);
            } else if (m) {
                __m512 o = acc[r][v];
                if (accumulate) o = _mm512_add_ps(o, _mm512_maskz_loadu_ps(m, q + 16 * v));
                _mm512_mask_storeu_ps(q + 16 * v, m, o);
            }
        }
    }
}

static __mmask16 mask_of(int count) {
    if (count >= 16) return 0xffff;
    if (count <= 0) return 0;
    return (__mmask16)((1u << count) - 1);
}

TARGET void ram_bf16_gemm(int m, int n, int k, const uint16_t *packed, const float *x, ptrdiff_t ldx,
                          const ptrdiff_t *tap, int taps, float *c, ptrdiff_t ldc, int accumulate) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        if (!accumulate)
            for (int i = 0; i < m; i++) memset(c + i * ldc, 0, (size_t)n * sizeof(float));
        return;
    }
    if (taps < 1) taps = 1;
    int kc = k / taps, kp = pairs_of(k), strips = (m + MR - 1) / MR;
    /* Columns per panel: the panel (kp · nb pairs) stays within ~192 KB of L2. */
    int nb = (int)(192 * 1024 / 4 / kp) / NR * NR;
    if (nb < NR) nb = NR;
    if (nb > 1024) nb = 1024;
    uint16_t *panel = panel_for((size_t)kp * 2 * (size_t)((nb < n ? nb : (n + NR - 1) / NR * NR)));
    for (int j0 = 0; j0 < n; j0 += nb) {
        int cols = n - j0 < nb ? n - j0 : nb;
        int groups = (cols + NR - 1) / NR;
        pack_panel(k, kc, x, ldx, tap, j0, cols, panel);
        for (int s = 0; s < strips; s++) {
            const uint16_t *w = packed + (size_t)s * kp * MR * 2;
            int rows = m - s * MR < MR ? m - s * MR : MR;
            for (int g = 0; g < groups; g++) {
                int left = cols - g * NR;
                tile(kp, w, panel + (size_t)g * kp * NR * 2, c + (ptrdiff_t)s * MR * ldc + j0 + g * NR, ldc, rows,
                     mask_of(left), mask_of(left - 16), accumulate);
            }
        }
    }
}

#else

int ram_bf16_available(void) { return 0; }

void ram_bf16_gemm(int m, int n, int k, const uint16_t *packed, const float *x, ptrdiff_t ldx,
                   const ptrdiff_t *tap, int taps, float *c, ptrdiff_t ldc, int accumulate) {
    (void)m; (void)n; (void)k; (void)packed; (void)x; (void)ldx; (void)tap; (void)taps; (void)c; (void)ldc;
    (void)accumulate;
    abort(); /* callers check ram_bf16_available() */
}

#endif
