#include "runtime/kprintf.h"

#include <stdbool.h>
#include <stdint.h>

#include "runtime/kstring.h"
#include "runtime/serial.h"

struct spec {
  bool left;
  bool zero;
  int width;
};

static void pad(int n, char c) {
  while (n-- > 0) serial_putc(c);
}

/* Emits `sign` (may be 0), then `digits`, honouring width and flags. */
static void emit_field(const struct spec *sp, char sign, const char *digits, int len) {
  int total = len + (sign ? 1 : 0);
  int fill = sp->width > total ? sp->width - total : 0;
  if (!sp->left && !sp->zero) pad(fill, ' ');
  if (sign) serial_putc(sign);
  if (!sp->left && sp->zero) pad(fill, '0');
  serial_write(digits, (size_t)len);
  if (sp->left) pad(fill, ' ');
}

static void emit_unsigned(const struct spec *sp, char sign, uint64_t v, unsigned base, bool upper) {
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char buf[24];
  int i = sizeof buf;
  do {
    buf[--i] = digits[v % base];
    v /= base;
  } while (v);
  emit_field(sp, sign, buf + i, (int)sizeof buf - i);
}

void kvprintf(const char *fmt, va_list ap) {
  for (const char *p = fmt; *p; p++) {
    if (*p != '%') {
      serial_putc(*p);
      continue;
    }
    struct spec sp = {false, false, 0};
    for (;; p++) {
      if (p[1] == '-') sp.left = true;
      else if (p[1] == '0') sp.zero = true;
      else break;
    }
    while (p[1] >= '0' && p[1] <= '9') sp.width = sp.width * 10 + (*++p - '0');
    int longs = 0;
    while (p[1] == 'l' || p[1] == 'z') {
      longs += (p[1] == 'z') ? 2 : 1;
      p++;
    }
    char conv = *++p;
    switch (conv) {
      case 'd':
      case 'i': {
        int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
        uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
        emit_unsigned(&sp, v < 0 ? '-' : 0, mag, 10, false);
        break;
      }
      case 'u':
      case 'x':
      case 'X': {
        uint64_t v = longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
        emit_unsigned(&sp, 0, v, conv == 'u' ? 10 : 16, conv == 'X');
        break;
      }
      case 'p': {
        uintptr_t v = (uintptr_t)va_arg(ap, void *);
        serial_puts("0x");
        struct spec hex = {false, true, 16};
        emit_unsigned(&hex, 0, v, 16, false);
        break;
      }
      case 'c': {
        char c = (char)va_arg(ap, int);
        emit_field(&sp, 0, &c, 1);
        break;
      }
      case 's': {
        const char *s = va_arg(ap, const char *);
        if (!s) s = "(null)";
        sp.zero = false;
        emit_field(&sp, 0, s, (int)strlen(s));
        break;
      }
      case '%':
        serial_putc('%');
        break;
      case '\0':  /* lone '%' at the end */
        return;
      default:  /* unknown: print it as written */
        serial_putc('%');
        serial_putc(conv);
        break;
    }
  }
}

void kprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  kvprintf(fmt, ap);
  va_end(ap);
}
