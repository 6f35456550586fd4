/* bench: a deterministic integer workload made of small parts. Each part
 * runs one round from a seed and returns a 64-bit checksum of its result.
 * Nothing reads time or other outside input, so the checksums are the
 * same on every run, in every emulator. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* Rounds of every part; set per image (bench / bench-small) by the build. */
#ifndef BENCH_ROUNDS
#error "BENCH_ROUNDS must be defined by the build"
#endif

/* 64-bit LCG (Knuth's MMIX constants); returns the high 32 bits, which are
 * the well-mixed ones. */
static inline uint32_t lcg_next(uint64_t *state) {
  *state = *state * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(*state >> 32);
}

/* FNV-1a style mixing of one 64-bit word into a running hash. */
static inline uint64_t mix64(uint64_t h, uint64_t v) {
  h ^= v;
  h *= 0x100000001b3ull;
  return h ^ (h >> 29);
}

uint64_t bench_crc32(uint32_t seed);
uint64_t bench_sort(uint32_t seed);
uint64_t bench_sieve(uint32_t seed);
uint64_t bench_matmul(uint32_t seed);
uint64_t bench_chase(uint32_t seed);
uint64_t bench_copy(uint32_t seed);

/* Set by a part that finds its own result inconsistent (e.g. an unsorted
 * array); kmain then exits with a failure code. */
extern bool bench_self_check_failed;
