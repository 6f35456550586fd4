#include "vmx/lib/vtest.h"

#include <stdarg.h>

#include "runtime/bootinfo.h"
#include "runtime/kprintf.h"
#include "runtime/kstring.h"

static const char *current_id, *current_description;
static int failed, skipped;
static const char *skip_reason;
static unsigned passes, failures, skips;
static char skip_list[256]; /* ",id1,id2," */

void vt_init(uint32_t magic, uint32_t info) {
  struct boot_summary b;
  if (!boot_summary_read(magic, info, &b) || !b.cmdline) return;
  for (const char *p = b.cmdline; *p; p++) {
    if ((p == b.cmdline || p[-1] == ' ') && !memcmp(p, "skip=", 5)) {
      p += 5;
      size_t n = 0;
      skip_list[n++] = ',';
      while (*p && *p != ' ' && n + 2 < sizeof skip_list) skip_list[n++] = *p++;
      skip_list[n++] = ',';
      skip_list[n] = 0;
      return;
    }
  }
}

static int skipped_by_cmdline(const char *id) {
  const size_t len = strlen(id);
  for (const char *p = skip_list; *p; p++)
    if (*p == ',' && !memcmp(p + 1, id, len) && p[1 + len] == ',') return 1;
  return 0;
}

int vt_begin(const char *id, const char *description) {
  current_id = id;
  current_description = description;
  failed = skipped = 0;
  if (skipped_by_cmdline(id)) {
    kprintf("SKIP %s %s: skipped by the command line\n", id, description);
    skips++;
    return 0;
  }
  return 1;
}

void vt_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  kprintf("  %s: ", current_id);
  kvprintf(fmt, ap);
  kprintf("\n");
  va_end(ap);
  failed = 1;
}

void vt_skip(const char *why) {
  skipped = 1;
  skip_reason = why;
}

int vt_failed(void) { return failed; }

void vt_end(void) {
  if (failed) {
    kprintf("FAIL %s %s\n", current_id, current_description);
    failures++;
  } else if (skipped) {
    kprintf("SKIP %s %s: %s\n", current_id, current_description, skip_reason);
    skips++;
  } else {
    kprintf("PASS %s %s\n", current_id, current_description);
    passes++;
  }
}

int vt_finish(const char *rom) {
  kprintf("%s: %u passed, %u failed, %u skipped\n", rom, passes, failures, skips);
  return failures ? 1 : 0;
}
