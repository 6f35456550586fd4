// Leaks on purpose. In the sanitizer build this program must FAIL (ctest
// runs it with WILL_FAIL): it proves that LeakSanitizer is active in the
// Debug test run and that a leak changes the exit status, so a leak in any
// other test fails the suite.
#include <cstdio>

int* volatile g_escape;

int main() {
  int* leaked = new int[64];
  leaked[0] = 1;
  g_escape = leaked;
  g_escape = nullptr;  // the only pointer is gone: a definite leak at exit
  std::puts("leak_canary: leaked 256 bytes on purpose");
  return 0;
}
