// Random differential test: random straight-line sequences of user-level
// integer, SSE, x87 and MMX instructions (tests/insn/random_seq.h) run on this
// machine's CPU and through the interpreter; the full final state must match.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include <Zydis/Zydis.h>

#include "tests/insn/native_runner.h"
#include "tests/insn/outcome_diff.h"
#include "tests/insn/random_seq.h"
#include "tests/insn_interp/user_mode_harness.h"

namespace {

// VTLAB_RANDOM_SEQUENCES overrides the count for a longer soak run.
int sequence_count() {
  const char* env = std::getenv("VTLAB_RANDOM_SEQUENCES");
  return env ? std::atoi(env) : 5000;
}

// The first instruction after which native and interpreter states differ,
// disassembled: what a failure report needs.
std::string first_divergence(const insn::Case& full) {
  ZydisDecoder dec;
  ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
  ZydisFormatter fmt;
  ZydisFormatterInit(&fmt, ZYDIS_FORMATTER_STYLE_INTEL);
  std::size_t off = 0;
  for (int k = 1; k <= full.insn_count && off < full.bytes.size(); ++k) {
    ZydisDecodedInstruction zi;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, full.bytes.data() + off, full.bytes.size() - off, &zi, ops)))
      return "(undecodable)";
    insn::Case c = full;
    c.insn_count = k;
    c.bytes.resize(off + zi.length);  // the native runner runs all the bytes it is given
    c.flags_undef = insn::kStatusFlags;  // intermediate flags may be undefined: compare the rest
    std::string d = insn::diff_outcomes(c, insn::run_native(c), vtlab::testing::run_interp(c));
    if (!d.empty()) {
      char text[256];
      ZydisFormatterFormatInstruction(&fmt, &zi, ops, zi.operand_count_visible, text, sizeof text, 0, nullptr);
      return "instruction " + std::to_string(k) + ": " + text + "\n" + d;
    }
    off += zi.length;
  }
  return "(only the final flags differ)";
}

}  // namespace

TEST_CASE("random instruction sequences: interpreter == this machine's CPU") {
  const int count = sequence_count();
  constexpr int kLength = 24;
  int failed = 0;
  long insns = 0;
  for (int seed = 0; seed < count; ++seed) {
    insn::Case c = insn::make_random_sequence(insn::u64(seed), kLength);
    insn::Outcome native = insn::run_native(c);
    insn::Outcome interp = vtlab::testing::run_interp(c);
    insns += c.insn_count;
    std::string d = insn::diff_outcomes(c, native, interp);
    if (!d.empty()) {
      if (failed < 12)
        std::fprintf(stderr, "seed %d: %s\nfull sequence: %s\n", seed, first_divergence(c).c_str(), d.c_str());
      ++failed;
    }
  }
  std::fprintf(stderr, "random sequences: %d run (%ld instructions), %d differ\n", count, insns, failed);
  CHECK(failed == 0);
}
