#ifndef RAM_BF16GEMM_H
#define RAM_BF16GEMM_H
/*
 * C (m×n) = W (m×k) · X (k×n) [+ C] with bf16 operands and fp32 accumulation, through the
 * AVX512_BF16 dot product (vdpbf16ps: per fp32 lane, acc += a[2i]·b[2i] + a[2i+1]·b[2i+1]).
 *
 * Operands are rounded to bf16 (round to nearest even, 8 significant bits) once, when packed:
 * W into 14-row strips of bf16 pairs along k (ram_bf16_pack_weights, once per weight), X per
 * block of columns into 32-column panels of k-pairs interleaved per column (inside
 * ram_bf16_gemm). A 14×32 register tile (28 zmm accumulators) sums over k in fp32.
 *
 * X is given as rows: row kk of X is x + (kk % kc)·ldx + tap[kk / kc] (kc = k / taps), so a
 * 3×3 convolution is one product with k = 9·c over shifted views of a padded input (taps =
 * the nine shifts) and a 1×1 convolution has taps = 1, tap[0] = 0.
 *
 * Every function here is compiled for AVX512F/BW/VL/BF16 only inside its body; callers must
 * check ram_bf16_available() first (the rest of the program stays generic x86-64). On other
 * architectures ram_bf16_available() returns 0 and the kernels are never called.
 */
#include <stddef.h>
#include <stdint.h>

#define RAM_BF16_MR 14
#define RAM_BF16_NR 32

/* 1 when the CPU has AVX512F, AVX512BW, AVX512VL and AVX512_BF16 and the OS saves the zmm state. */
int ram_bf16_available(void);

/* uint16 elements ram_bf16_pack_weights writes for an m×k weight (m rounded up to 14 rows,
 * k to an even count). */
size_t ram_bf16_packed_weights_count(int m, int k);

/* Packs W (m×k, row stride ldw floats) into `packed` (ram_bf16_packed_weights_count elements,
 * 4-byte aligned): strip s, k-pair p, row r holds (bf16 W[14s+r][2p], bf16 W[14s+r][2p+1]);
 * padding is zero. */
void ram_bf16_pack_weights(int m, int k, const float *w, ptrdiff_t ldw, uint16_t *packed);

/* C (m×n, row stride ldc) = packed W · X (+ C when accumulate). X: see above (taps ≥ 1, k a
 * multiple of taps; tap may be NULL when taps = 1). Single-threaded; the column panel lives in
 * a per-thread buffer that is kept between calls. */
void ram_bf16_gemm(int m, int n, int k, const uint16_t *packed, const float *x, ptrdiff_t ldx,
                   const ptrdiff_t *tap, int taps, float *c, ptrdiff_t ldc, int accumulate);

/* Rounds n floats to bf16 and back (round to nearest even), as the kernels round operands:
 * for tests and error bounds. */
void ram_bf16_round(const float *src, float *dst, size_t n);

#endif
