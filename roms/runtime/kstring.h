/* The few libc string functions ROM code (and gcc's own code generation)
 * needs. gcc may emit calls to memcpy/memset/memmove/memcmp even in
 * freestanding code. */
#pragma once
#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
