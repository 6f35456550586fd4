/* Quicksort (median of three, insertion sort below a cutoff) of LCG data. */
#include "bench/bench.h"

enum { SORT_ELEMENTS = 4096, SORT_REPEATS = 8, INSERTION_CUTOFF = 16 };

static uint32_t sort_array[SORT_ELEMENTS];

static void insertion_sort(uint32_t *a, int n) {
  for (int i = 1; i < n; i++) {
    uint32_t v = a[i];
    int j = i - 1;
    while (j >= 0 && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}

static void swap(uint32_t *a, uint32_t *b) {
  uint32_t t = *a;
  *a = *b;
  *b = t;
}

/* Recurses on the smaller half and loops on the larger: depth stays O(log n). */
static void quicksort(uint32_t *a, int n) {
  while (n > INSERTION_CUTOFF) {
    int mid = n / 2;
    if (a[mid] < a[0]) swap(&a[mid], &a[0]);
    if (a[n - 1] < a[0]) swap(&a[n - 1], &a[0]);
    if (a[n - 1] < a[mid]) swap(&a[n - 1], &a[mid]);
    uint32_t pivot = a[mid];
    int i = 0, j = n - 1;
    for (;;) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i >= j) break;
      swap(&a[i], &a[j]);
      i++;
      j--;
    }
    int left = j + 1;  /* a[0..j] <= pivot <= a[j+1..n-1] */
    if (left < n - left) {
      quicksort(a, left);
      a += left;
      n -= left;
    } else {
      quicksort(a + left, n - left);
      n = left;
    }
  }
  insertion_sort(a, n);
}

uint64_t bench_sort(uint32_t seed) {
  uint64_t rng = seed ^ 0x5eed;
  uint64_t h = 0;
  for (int r = 0; r < SORT_REPEATS; r++) {
    for (int i = 0; i < SORT_ELEMENTS; i++) sort_array[i] = lcg_next(&rng);
    quicksort(sort_array, SORT_ELEMENTS);
    for (int i = 0; i < SORT_ELEMENTS; i++) {
      if (i && sort_array[i - 1] > sort_array[i]) bench_self_check_failed = true;
      h = mix64(h, sort_array[i]);
    }
  }
  return h;
}
