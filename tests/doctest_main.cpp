// doctest's runner, shared by every test executable (tests/CMakeLists.txt).
// The precompiled header has already brought in doctest's interface, so the
// second include only adds the implementation; DOCTEST_CONFIG_IMPLEMENT must
// be named as well, since the interface part that derives it from
// DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN is not read again.
#define DOCTEST_CONFIG_IMPLEMENT
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
