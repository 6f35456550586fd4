/* Block copies between two buffers exactly 64 KiB apart (the same offsets
 * alias in a small direct-mapped TLB or cache). The loops transform as they
 * copy so gcc vectorizes them with SSE2 rather than calling memcpy. */
#include "bench/bench.h"

enum { COPY_DISTANCE = 64 * 1024, COPY_BYTES = 32 * 1024, COPY_PASSES = 128 };

static uint8_t copy_arena[2 * COPY_DISTANCE] __attribute__((aligned(4096)));

uint64_t bench_copy(uint32_t seed) {
  uint32_t *src = (uint32_t *)copy_arena;
  uint32_t *dst = (uint32_t *)(copy_arena + COPY_DISTANCE);
  enum { WORDS = COPY_BYTES / 4 };
  uint64_t rng = seed ^ 0xc0b1;
  for (int i = 0; i < WORDS; i++) src[i] = lcg_next(&rng);
  uint32_t key = lcg_next(&rng);
  for (int pass = 0; pass < COPY_PASSES; pass++) {
    for (int i = 0; i < WORDS; i++) dst[i] = src[i] ^ key;
    for (int i = 0; i < WORDS; i++) src[i] = dst[i] + (uint32_t)pass;
  }
  uint64_t h = 0;
  for (int i = 0; i < WORDS; i += 64) h = mix64(h, src[i] | (uint64_t)dst[i] << 32);
  return h;
}
