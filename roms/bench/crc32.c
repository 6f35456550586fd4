/* CRC-32 (IEEE 802.3, reflected, table driven) over LCG-filled data. */
#include "bench/bench.h"

enum { CRC_BUFFER_BYTES = 128 * 1024, CRC_PASSES = 4 };

static uint32_t crc_table[256];
static uint8_t crc_buffer[CRC_BUFFER_BYTES];

static void build_table(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
}

static uint32_t crc32_update(uint32_t crc, const uint8_t *p, uint32_t n) {
  crc = ~crc;
  for (uint32_t i = 0; i < n; i++) crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

uint64_t bench_crc32(uint32_t seed) {
  if (crc_table[1] == 0) build_table();
  uint64_t rng = seed;
  uint32_t *words = (uint32_t *)crc_buffer;
  for (uint32_t i = 0; i < CRC_BUFFER_BYTES / 4; i++) words[i] = lcg_next(&rng);
  uint64_t h = 0;
  uint32_t crc = 0;
  for (int pass = 0; pass < CRC_PASSES; pass++) {
    crc = crc32_update(crc, crc_buffer, CRC_BUFFER_BYTES);
    h = mix64(h, crc);
  }
  /* Known answer: CRC-32 of "123456789" is 0xCBF43926. */
  static const uint8_t check[] = "123456789";
  if (crc32_update(0, check, 9) != 0xCBF43926u) bench_self_check_failed = true;
  return h;
}
