/* A small test framework for the VMX test ROMs. Every test has a short id
 * and a description and prints one line on COM1: "PASS <id> <description>",
 * "FAIL <id> <description>" (after an indented line per failed
 * expectation) or "SKIP <id> <description>: <why>". The ROM ends with a
 * summary line, "<rom>: N passed, N failed, N skipped", and exits through
 * the debug-exit port with 0 only if nothing failed (roms/README.md "vmx").
 *
 * The boot command line may name tests to skip: "skip=id1,id2" (for an
 * emulator known to lack something, or to step past a test that hangs).
 *
 *   TEST("cpuid", "CPUID exits") {
 *     ...
 *     EXPECT_EQ("exit reason", e.reason, EXIT_CPUID);
 *   }
 * A TEST body must not `break` or `return` (it runs inside a one-pass loop
 * whose end prints the line). */
#pragma once
#include <stdint.h>

/* Reads "skip=" from the Multiboot command line. */
void vt_init(uint32_t magic, uint32_t info);
/* Starts a test; returns 0 (and prints SKIP) if the command line skips it. */
int vt_begin(const char *id, const char *description);
/* Records a failed expectation of the current test; prints it. */
__attribute__((format(printf, 1, 2))) void vt_fail(const char *fmt, ...);
/* Marks the current test skipped (a capability the CPU does not report). */
void vt_skip(const char *why);
/* Prints the test's line. */
void vt_end(void);
/* Prints the summary line; returns the debug-exit code. */
int vt_finish(const char *rom);
int vt_failed(void); /* whether the current test failed so far */

#define TEST(id, description) for (int vt_once_ = vt_begin(id, description); vt_once_; vt_once_ = 0, vt_end())

#define EXPECT_EQ(what, got, want)                                                                           \
  do {                                                                                                       \
    uint64_t got_ = (uint64_t)(got), want_ = (uint64_t)(want);                                               \
    if (got_ != want_) vt_fail("%s = 0x%lx, want 0x%lx", (what), (unsigned long)got_, (unsigned long)want_); \
  } while (0)
#define EXPECT(cond, what)              \
  do {                                  \
    if (!(cond)) vt_fail("%s", (what)); \
  } while (0)
