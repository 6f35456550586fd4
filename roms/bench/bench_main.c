/* bench: runs every part BENCH_ROUNDS times, prints each part's combined
 * checksum and one overall checksum, then exits 0 (1 if a self-check failed). */
#include "bench/bench.h"
#include "runtime/boot.h"
#include "runtime/kprintf.h"

bool bench_self_check_failed;

struct part {
  const char *name;
  uint64_t (*run)(uint32_t seed);
};

static const struct part parts[] = {
    {"crc32", bench_crc32}, {"sort", bench_sort}, {"sieve", bench_sieve},
    {"matmul", bench_matmul}, {"chase", bench_chase}, {"copy", bench_copy},
};
enum { PART_COUNT = sizeof parts / sizeof parts[0] };

int kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  kprintf("bench: %u rounds\n", (unsigned)BENCH_ROUNDS);
  uint64_t total = 0;
  for (int p = 0; p < PART_COUNT; p++) {
    uint64_t h = 0;
    for (uint32_t round = 0; round < BENCH_ROUNDS; round++) h = mix64(h, parts[p].run(round * 0x9e3779b9u + 1));
    kprintf("%-6s checksum: 0x%016lx\n", parts[p].name, h);
    total = mix64(total, h);
  }
  kprintf("bench checksum: 0x%016llx\n", (unsigned long long)total);
  if (bench_self_check_failed) {
    kprintf("bench: SELF-CHECK FAILED\n");
    return 1;
  }
  return 0;
}
