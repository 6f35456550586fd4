/* Integer matrix multiply C = A * B (wrapping 32-bit arithmetic). The inner
 * loop runs along rows of B and C, so gcc vectorizes it with SSE2. */
#include "bench/bench.h"

enum { MAT_N = 96 };

static uint32_t mat_a[MAT_N][MAT_N], mat_b[MAT_N][MAT_N], mat_c[MAT_N][MAT_N];

uint64_t bench_matmul(uint32_t seed) {
  uint64_t rng = seed ^ 0xa11ce;
  for (int i = 0; i < MAT_N; i++)
    for (int j = 0; j < MAT_N; j++) {
      mat_a[i][j] = lcg_next(&rng) & 0xffff;
      mat_b[i][j] = lcg_next(&rng) & 0xffff;
      mat_c[i][j] = 0;
    }
  for (int i = 0; i < MAT_N; i++)
    for (int k = 0; k < MAT_N; k++) {
      uint32_t a = mat_a[i][k];
      for (int j = 0; j < MAT_N; j++) mat_c[i][j] += a * mat_b[k][j];
    }
  uint64_t h = 0;
  for (int i = 0; i < MAT_N; i++)
    for (int j = 0; j < MAT_N; j++) h = mix64(h, mat_c[i][j]);
  return h;
}
