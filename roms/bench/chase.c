/* Pointer chasing: a singly linked list laid out in a random (Fisher-Yates)
 * order, walked several times. Every load depends on the previous one. */
#include "bench/bench.h"

enum { CHASE_NODES = 64 * 1024, CHASE_WALKS = 8 };

struct node {
  struct node *next;
  uint64_t value;
};

static struct node nodes[CHASE_NODES];
static uint32_t order[CHASE_NODES];

uint64_t bench_chase(uint32_t seed) {
  uint64_t rng = seed ^ 0xc4a5e;
  for (uint32_t i = 0; i < CHASE_NODES; i++) order[i] = i;
  for (uint32_t i = CHASE_NODES - 1; i > 0; i--) {
    uint32_t j = lcg_next(&rng) % (i + 1);
    uint32_t t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  for (uint32_t i = 0; i < CHASE_NODES; i++) {
    struct node *n = &nodes[order[i]];
    n->next = &nodes[order[(i + 1) % CHASE_NODES]];
    n->value = i;
  }
  uint64_t h = 0;
  const struct node *n = &nodes[order[0]];
  for (int w = 0; w < CHASE_WALKS; w++) {
    uint64_t sum = 0;
    for (uint32_t i = 0; i < CHASE_NODES; i++) {
      sum += n->value ^ (uint64_t)(uintptr_t)n;
      n = n->next;
    }
    h = mix64(h, sum);
  }
  if (n != &nodes[order[0]]) bench_self_check_failed = true;  /* a full cycle returns home */
  return h;
}
