/* Polled output on COM1 (16550 at 0x3f8). entry.S has already set it up. */
#pragma once
#include <stddef.h>

void serial_putc(char c);
void serial_write(const char *s, size_t n);
void serial_puts(const char *s);  /* no newline added */
