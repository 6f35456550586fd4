// The native runner (tests/insn) catches the faults of the cases it runs
// with its own signal handlers; doctest's would replace them per test case.
#define DOCTEST_CONFIG_NO_POSIX_SIGNALS
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
