#include "runtime/serial.h"

#include "runtime/io.h"
#include "runtime/kstring.h"

enum { COM1 = 0x3f8, COM1_LSR = COM1 + 5, LSR_THR_EMPTY = 0x20 };

/* Bytes go out exactly as given ("\n" is not turned into "\r\n") so the
 * serial log compares byte for byte with roms/expected/. */
void serial_putc(char c) {
  while (!(inb(COM1_LSR) & LSR_THR_EMPTY)) {
  }
  outb(COM1, (uint8_t)c);
}

void serial_write(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) serial_putc(s[i]);
}

void serial_puts(const char *s) { serial_write(s, strlen(s)); }
