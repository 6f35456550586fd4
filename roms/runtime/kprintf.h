/* A small printf to COM1.
 * Conversions: %d %i %u %x %X %c %s %p %%; length modifiers l, ll, z;
 * flags '-' (left align) and '0' (zero pad); a decimal field width.
 * %p prints 0x and 16 hex digits. */
#pragma once
#include <stdarg.h>

__attribute__((format(printf, 1, 2))) void kprintf(const char *fmt, ...);
void kvprintf(const char *fmt, va_list ap);
