/* Sieve of Eratosthenes; the seed moves the upper limit a little each round. */
#include "bench/bench.h"

enum { SIEVE_LIMIT = 1 << 18 };

static uint8_t composite[SIEVE_LIMIT];

uint64_t bench_sieve(uint32_t seed) {
  uint32_t limit = SIEVE_LIMIT - (seed & 0xfff);
  for (uint32_t i = 0; i < limit; i++) composite[i] = 0;
  for (uint32_t p = 2; p * p < limit; p++)
    if (!composite[p])
      for (uint32_t m = p * p; m < limit; m += p) composite[m] = 1;
  uint64_t count = 0, h = 0;
  for (uint32_t i = 2; i < limit; i++)
    if (!composite[i]) {
      count++;
      h = mix64(h, i);
    }
  /* Known answer: 9592 primes below 100000. */
  uint32_t below_100k = 0;
  for (uint32_t i = 2; i < 100000; i++) below_100k += !composite[i];
  if (below_100k != 9592) bench_self_check_failed = true;
  return mix64(h, count);
}
