#include "tests/sse/diff.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>

#include "tests/insn/native_runner.h"
#include "tests/insn/outcome_diff.h"
#include "tests/sse/rig.h"

namespace sse_test {
namespace {

constexpr u32 kMxcsr[] = {0x1f80, 0x1fbf, 0x3f80, 0x5f80, 0x7f80, 0x1fc0, 0x9f80, 0x9fc0, 0x1f00, 0x1e80,
                          0x1d80, 0x1b80, 0x1780, 0x0f80, 0x0000, 0x9780, 0x7380, 0xe040, 0x1380, 0x5b80};

std::vector<u8> encode(const Spec& s, bool mem, int imm) {
  std::vector<u8> b;
  if (s.prefix0) b.push_back(s.prefix0);
  if (s.prefix) b.push_back(s.prefix);
  u8 rex = (s.rexw ? 0x48 : 0) | (mem ? 0x41 : 0);
  if (rex) b.push_back(rex | 0x40);
  b.insert(b.end(), s.opcode.begin(), s.opcode.end());
  u8 reg = s.form == Form::RAX_X ? 0 : s.form == Form::SHIFT || s.form == Form::MEM ? s.ext : 1;
  u8 rm = mem ? 7 : s.form == Form::X_RAX ? 0 : s.form == Form::SHIFT ? 1 : 2;
  b.push_back(u8((mem ? 0x00 : 0xc0) | (reg << 3) | rm));
  if (imm >= 0) b.push_back(u8(imm));
  return b;
}

// Builds one case; `where` is the memory operand's offset in the data window.
insn::Case build(const Spec& s, Rng& r, unsigned n, bool mem, u64 where) {
  int imm = s.imm;
  if (imm == -2) {  // CMP predicates and small shift counts matter most
    unsigned k = r.below(3);
    imm = int(r.below(k == 0 ? 8 : k == 1 ? 72 : 256));
  } else if (imm == -3) {  // every control byte in turn (imm8[6:0]), bit 7 at random
    imm = int((n & 0x7f) | (r.below(4) == 0 ? 0x80 : 0));
  }
  insn::Case c = make_case(s.name + (mem ? ".m." : ".r.") + std::to_string(n), encode(s, mem, imm));
  c.approx = s.approx;
  c.init.mxcsr = kMxcsr[n % std::size(kMxcsr)];
  for (int x = 0; x < 16; ++x) fill_lanes(r, s.lane, c.init.xmm[x]);
  if (r.below(8) == 0) std::memcpy(c.init.xmm[2], c.init.xmm[1], 16);  // same operands
  for (int g = 0; g < 16; ++g)
    if (g != insn::RSP) c.init.gpr[g] = r.next();
  c.init.gpr[insn::RAX] = lane_value(r, s.lane == Lane::F32 || s.lane == Lane::F64 ? Lane::I64 : s.lane);
  if (r.below(2)) c.init.gpr[insn::RAX] = u64(std::int64_t(std::int32_t(u32(c.init.gpr[insn::RAX]))));
  if (s.lengths) {  // PCMPESTRx: lengths around the element counts, either sign, sometimes huge
    for (int g : {insn::RAX, insn::RDX}) {
      const u64 v = r.below(8) == 0 ? r.next() : u64(std::int64_t(r.below(41)) - 20);
      c.init.gpr[g] = r.below(2) ? v : (r.next() << 32) | u32(v);
    }
  }
  c.init.gpr[insn::R15] = insn::kDataBase + where;
  c.init.gpr[insn::RDI] = insn::kDataBase + 0x400;
  c.init.rflags = r.next() & insn::kSettableFlags & ~insn::DF;
  // Memory around the operand: lanes of the operand's kind, guards around.
  insn::MemBytes m{insn::kDataBase + where - 16, std::vector<u8>(48)};
  for (auto& byte : m.bytes) byte = u8(r.next() | 1);
  fill_lanes(r, s.lane, m.bytes.data() + 16);
  if (s.count && r.below(4) != 0) {
    u64 n1 = r.below(80), n2 = r.below(80);
    std::memcpy(c.init.xmm[2], &n1, 8);
    std::memcpy(m.bytes.data() + 16, &n2, 8);
  }
  c.mem_init.push_back(m);
  insn::MemBytes d{insn::kDataBase + 0x400, std::vector<u8>(16)};
  for (auto& byte : d.bytes) byte = u8(r.next());
  c.mem_init.push_back(d);
  return c;
}

}  // namespace

int check(const Spec& s) {
  static Rig rig;
  Rng r(seed_of(s.name));
  int failures = 0, ran = 0;
  auto one = [&](const insn::Case& c) {
    insn::Outcome native = insn::run_native(c);
    // This AMD CPU accepts MXCSR bit 17 (MXCSR_MASK 0x2ffff); Intel and the
    // interpreter give #GP(0) (MXCSR_MASK 0xffff): not comparable.
    if (native.state.mxcsr & 0x20000) return;
    insn::Outcome interp = rig.run(c);
    std::string d = insn::diff_outcomes(c, native, interp);
    ++ran;
    if (!d.empty() && ++failures <= 5) {
      std::string bytes;
      for (u8 b : c.bytes) {
        char h[4];
        std::snprintf(h, sizeof h, " %02x", b);
        bytes += h;
      }
      char init[256];
      std::snprintf(init, sizeof init, "mxcsr=%04x xmm1=%016llx_%016llx xmm2=%016llx_%016llx rax=%llx", c.init.mxcsr,
                    (unsigned long long)xmm_hi(c.init, 1), (unsigned long long)xmm_lo(c.init, 1),
                    (unsigned long long)xmm_hi(c.init, 2), (unsigned long long)xmm_lo(c.init, 2),
                    (unsigned long long)c.init.gpr[insn::RAX]);
      MESSAGE(c.name << " [" << bytes << " ] (" << init << "):\n" << d);
    }
  };
  // VTLAB_SSE_SOAK=K runs K times as many cases (a longer soak than CI's).
  static const unsigned soak = [] {
    const char* e = std::getenv("VTLAB_SSE_SOAK");
    const long k = e ? std::strtol(e, nullptr, 10) : 1;
    return unsigned(k < 1 ? 1 : k > 1000 ? 1000 : k);
  }();
  const unsigned n_reg = 240 * soak, n_mem = 40 * soak;
  if (s.reg_form && s.form != Form::MEM)
    for (unsigned n = 0; n < n_reg; ++n) one(build(s, r, n, false, 0x100));
  if (s.mem) {
    for (unsigned n = 0; n < n_mem; ++n) one(build(s, r, n, true, 0x100));
    // Misaligned (aligned forms: #GP(0)), crossing a page, and running
    // into the unmapped page after the window (#PF).
    for (unsigned n = 0; n < 6; ++n) one(build(s, r, n, true, 0x108 + (n % 3) * 4 - (s.mem < 8 ? 6 : 0)));
    for (unsigned n = 0; n < 4; ++n) one(build(s, r, n, true, 0x1000 - s.mem / 2));
    one(build(s, r, 0, true, insn::kDataSize - s.mem / 2));
  }
  CHECK_MESSAGE(failures == 0, s.name << ": " << failures << " of " << ran << " cases differ");
  return ran;
}

Spec xx(std::string name, u8 prefix, u8 op, Lane lane, unsigned mem) {
  return Spec{std::move(name), prefix, false, {0x0f, op}, lane, Form::XX, mem, true, -1};
}

}  // namespace sse_test
