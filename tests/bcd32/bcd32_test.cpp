// BCD instructions (DAA DAS AAA AAS AAM AAD) are invalid in 64-bit mode, so
// the 64-bit instruction harness cannot check them. For every input AL, AH
// and CF/AF combination this test compares the interpreter (32-bit protected
// mode) with a reference model transcribed from the SDM Vol. 2 pseudo-code:
// EAX and the flags the SDM defines. Where this host can run 32-bit
// compatibility-mode user code (Linux's selector 0x23; probed in a child
// process, since on some hypervisors the far return into it segfaults), the
// CPU itself is compared with the same model too. The output says which
// comparisons ran.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "core/base/port_bus.h"
#include "core/base/scheduler.h"
#include "cpu/cpu.h"
#include "mmu/phys_mem.h"

namespace {

using namespace vtlab;

// ---- native side: a page below 2 GiB holding the mode-switch code ----------

constexpr u32 kInEax = 0x800, kInFlags = 0x804, kOutEax = 0x808, kOutFlags = 0x80c, kSavedRsp = 0x810;
constexpr u32 kStackTop = 0x1000;  // the page's top, as the 32-bit stack

class NativeBcd {
 public:
  NativeBcd() {
    void* p = mmap(nullptr, 0x1000, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    REQUIRE(p != MAP_FAILED);
    page_ = static_cast<u8*>(p);
    base_ = u32(reinterpret_cast<std::uintptr_t>(page_));
  }
  ~NativeBcd() { munmap(page_, 0x1000); }

  // Runs `insn` with EAX and EFLAGS given; returns {eax, eflags} after it.
  std::pair<u32, u32> run(const std::vector<u8>& insn, u32 eax, u32 eflags) {
    std::vector<u8> c;
    auto b = [&](std::initializer_list<u8> bytes) { c.insert(c.end(), bytes); };
    auto d32 = [&](u32 v) { b({u8(v), u8(v >> 8), u8(v >> 16), u8(v >> 24)}); };
    // 64-bit entry: save callee-saved registers and RSP, switch to the low
    // stack, far-return into 32-bit code.
    b({0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57});
    b({0x48, 0x89, 0x24, 0x25}), d32(base_ + kSavedRsp);  // mov [abs], rsp
    b({0xbc}), d32(base_ + kStackTop);                    // mov esp, top
    b({0x6a, 0x23});                                      // push 0x23
    size_t entry32_imm = c.size() + 1;
    b({0x68}), d32(0);                                    // push entry32
    b({0x48, 0xcb});                                      // retfq
    // 32-bit code.
    u32 entry32 = base_ + u32(c.size());
    std::memcpy(&c[entry32_imm], &entry32, 4);
    b({0x66, 0xb8, 0x2b, 0x00, 0x8e, 0xd8, 0x8e, 0xc0});  // mov ax, 0x2b; mov ds, ax; mov es, ax
    b({0xa1}), d32(base_ + kInEax);                       // mov eax, [in_eax]
    b({0xff, 0x35}), d32(base_ + kInFlags);               // push dword [in_flags]
    b({0x9d});                                            // popfd
    c.insert(c.end(), insn.begin(), insn.end());
    b({0x9c});                                            // pushfd
    b({0x8f, 0x05}), d32(base_ + kOutFlags);              // pop dword [out_flags]
    b({0xa3}), d32(base_ + kOutEax);                      // mov [out_eax], eax
    size_t back_imm = c.size() + 1;
    b({0xea}), d32(0), b({0x33, 0x00});                   // ljmp 0x33:back64
    u32 back64 = base_ + u32(c.size());
    std::memcpy(&c[back_imm], &back64, 4);
    b({0x48, 0x8b, 0x24, 0x25}), d32(base_ + kSavedRsp);  // mov rsp, [abs]
    b({0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b, 0xc3});
    REQUIRE(c.size() < kInEax);
    std::memcpy(page_, c.data(), c.size());
    std::memcpy(page_ + kInEax, &eax, 4);
    std::memcpy(page_ + kInFlags, &eflags, 4);
    reinterpret_cast<void (*)()>(page_)();
    u32 out_eax, out_flags;
    std::memcpy(&out_eax, page_ + kOutEax, 4);
    std::memcpy(&out_flags, page_ + kOutFlags, 4);
    return {out_eax, out_flags};
  }

 private:
  u8* page_;
  u32 base_;
};

// ---- interpreter side: 32-bit flat protected mode, one instruction ---------

class InterpBcd {
 public:
  InterpBcd() : mem_(4u << 20), cpu_(mem_, ports_, sched_) {
    cpu_.cr0 = cr0::PE | cr0::ET;
    const u32 data = ar::P | ar::S | ar::kTypeWritable | ar::kTypeAccessed | ar::DB | ar::G;
    for (unsigned s = 0; s < kNumSegs; ++s) cpu_.seg[s] = Segment{0x18, 0, 0xffffffff, data};
    cpu_.seg[CS] = Segment{0x10, 0, 0xffffffff, ar::P | ar::S | ar::kTypeCode | ar::kTypeReadable | ar::DB | ar::G};
    cpu_.mode_changed();
    cpu_.set_intercept_exceptions(true);
  }
  // {eax, eflags}, or nullopt when the instruction raised #DE (AAM 0).
  std::optional<std::pair<u32, u32>> run(const std::vector<u8>& insn, u32 eax, u32 eflags) {
    if (insn != code_) {  // a store through PhysMem also drops the decoded block
      mem_.write_block(kCode, insn.data(), insn.size());
      code_ = insn;
    }
    cpu_.rip = kCode;
    cpu_.gpr[RAX] = eax;
    cpu_.flags.set(eflags);
    StopCause stop = cpu_.run(cpu_.icount() + 1);
    if (stop == StopCause::Exception) {
      REQUIRE(cpu_.intercepted_exception().vector == kDE);
      return std::nullopt;
    }
    REQUIRE(stop == StopCause::InsnLimit);
    return std::pair<u32, u32>{u32(cpu_.gpr[RAX]), u32(cpu_.rflags())};
  }

 private:
  static constexpr u64 kCode = 0x100000;
  Scheduler sched_;
  PortBus ports_;
  PhysMem mem_;
  Cpu cpu_;
  std::vector<u8> code_;
};

constexpr u32 CF = 1, PF = 4, AF = 16, ZF = 64, SF = 128, OF = 2048;

// ---- reference model: the SDM Vol. 2 pseudo-code, one function each --------

struct Regs {
  u32 eax;
  u32 flags;  // only the bits the instruction defines are meaningful
};

u8 lo(u32 eax) { return u8(eax); }
u8 hi(u32 eax) { return u8(eax >> 8); }
u32 with_al(u32 eax, u8 al) { return (eax & ~0xffu) | al; }
u32 with_ax(u32 eax, u16 ax) { return (eax & ~0xffffu) | ax; }
u32 szp(u8 v) { return (v == 0 ? ZF : 0) | (v & 0x80 ? SF : 0) | (__builtin_parity(v) ? 0 : PF); }

// DAA: "old_AL <- AL; old_CF <- CF; CF <- 0; IF (((AL AND 0FH) > 9) or AF = 1)
// THEN AL <- AL + 6; CF <- old_CF or (Carry from AL <- AL + 6); AF <- 1;
// ELSE AF <- 0; FI; IF ((old_AL > 99H) or (old_CF = 1)) THEN AL <- AL + 60H;
// CF <- 1; ELSE CF <- 0; FI." SF ZF PF from AL; OF undefined.
Regs daa(u32 eax, u32 fl) {
  const u8 old_al = lo(eax);
  const bool old_cf = fl & CF;
  u8 al = old_al;
  bool cf = false, af;
  if ((al & 0xf) > 9 || (fl & AF)) {
    cf = old_cf || al + 6 > 0xff;
    al = u8(al + 6);
    af = true;
  } else {
    af = false;
  }
  if (old_al > 0x99 || old_cf) {
    al = u8(al + 0x60);
    cf = true;
  } else {
    cf = false;
  }
  return {with_al(eax, al), (cf ? CF : 0) | (af ? AF : 0) | szp(al)};
}

// DAS: as DAA with subtraction; the second IF has no ELSE branch.
Regs das(u32 eax, u32 fl) {
  const u8 old_al = lo(eax);
  const bool old_cf = fl & CF;
  u8 al = old_al;
  bool cf = false, af;
  if ((al & 0xf) > 9 || (fl & AF)) {
    cf = old_cf || al < 6;
    al = u8(al - 6);
    af = true;
  } else {
    af = false;
  }
  if (old_al > 0x99 || old_cf) {
    al = u8(al - 0x60);
    cf = true;
  }
  return {with_al(eax, al), (cf ? CF : 0) | (af ? AF : 0) | szp(al)};
}

// AAA: "IF ((AL AND 0FH) > 9) or (AF = 1) THEN AX <- AX + 106H; AF <- 1;
// CF <- 1; ELSE AF <- 0; CF <- 0; FI; AL <- AL AND 0FH;" OF SF ZF PF undefined.
Regs aaa(u32 eax, u32 fl) {
  u16 ax = u16(eax);
  const bool adjust = (ax & 0xf) > 9 || (fl & AF);
  if (adjust) ax = u16(ax + 0x106);
  ax &= 0xff0f;
  return {with_ax(eax, ax), adjust ? AF | CF : 0};
}

// AAS: "IF ((AL AND 0FH) > 9) or (AF = 1) THEN AX <- AX - 6; AH <- AH - 1;
// AF <- 1; CF <- 1; AL <- AL AND 0FH; ELSE CF <- 0; AF <- 0; AL <- AL AND 0FH;"
Regs aas(u32 eax, u32 fl) {
  u16 ax = u16(eax);
  const bool adjust = (ax & 0xf) > 9 || (fl & AF);
  if (adjust) {
    ax = u16(ax - 6);
    ax = u16((u8((ax >> 8) - 1) << 8) | (ax & 0xff));
  }
  ax &= 0xff0f;
  return {with_ax(eax, ax), adjust ? AF | CF : 0};
}

// AAM imm8: "tempAL <- AL; AH <- tempAL / imm8; AL <- tempAL MOD imm8;"
// (#DE for imm8 = 0). SF ZF PF from AL; OF AF CF undefined.
std::optional<Regs> aam(u32 eax, u8 base) {
  if (base == 0) return std::nullopt;
  const u8 al = lo(eax) % base, ah = lo(eax) / base;
  return Regs{with_ax(eax, u16(ah << 8 | al)), szp(al)};
}

// AAD imm8: "AL <- (tempAL + (tempAH * imm8)) AND FFH; AH <- 0;" SF ZF PF
// from AL; OF AF CF undefined.
Regs aad(u32 eax, u8 base) {
  const u8 al = u8(lo(eax) + hi(eax) * base);
  return {with_ax(eax, al), szp(al)};
}

struct BcdInsn {
  const char* name;
  std::vector<u8> bytes;
  u32 defined_flags;  // SDM Vol. 2: the rest are undefined
  bool uses_ah;       // every AH too (AAA AAS AAD)
  std::optional<Regs> (*model)(u32 eax, u32 flags, u8 imm);
};

const BcdInsn kInsns[] = {
    {"daa", {0x27}, CF | AF | SF | ZF | PF, false, [](u32 a, u32 f, u8) { return std::optional(daa(a, f)); }},
    {"das", {0x2f}, CF | AF | SF | ZF | PF, false, [](u32 a, u32 f, u8) { return std::optional(das(a, f)); }},
    {"aaa", {0x37}, CF | AF, true, [](u32 a, u32 f, u8) { return std::optional(aaa(a, f)); }},
    {"aas", {0x3f}, CF | AF, true, [](u32 a, u32 f, u8) { return std::optional(aas(a, f)); }},
    {"aam 10", {0xd4, 0x0a}, SF | ZF | PF, false, [](u32 a, u32, u8 b) { return aam(a, b); }},
    {"aam 16", {0xd4, 0x10}, SF | ZF | PF, false, [](u32 a, u32, u8 b) { return aam(a, b); }},
    {"aam 7", {0xd4, 0x07}, SF | ZF | PF, false, [](u32 a, u32, u8 b) { return aam(a, b); }},
    {"aam 0", {0xd4, 0x00}, 0, false, [](u32 a, u32, u8 b) { return aam(a, b); }},
    {"aad 10", {0xd5, 0x0a}, SF | ZF | PF, true, [](u32 a, u32, u8 b) { return std::optional(aad(a, b)); }},
    {"aad 16", {0xd5, 0x10}, SF | ZF | PF, true, [](u32 a, u32, u8 b) { return std::optional(aad(a, b)); }},
    {"aad 3", {0xd5, 0x03}, SF | ZF | PF, true, [](u32 a, u32, u8 b) { return std::optional(aad(a, b)); }},
};

// Every input: AL 0..255, AH 0..255 where the instruction reads it (else a
// fixed pattern), each CF/AF combination; the upper half of EAX is a pattern
// that must survive.
template <typename Fn>
void for_each_input(const BcdInsn& in, Fn fn) {
  for (u32 ah = 0; ah < (in.uses_ah ? 256u : 1u); ++ah)
    for (u32 al = 0; al < 256; ++al)
      for (u32 fl : {0x202u, 0x202u | CF, 0x202u | AF, 0x202u | CF | AF})
        fn(0xdead0000 | (in.uses_ah ? ah : 0x5a) << 8 | al, fl);
}

std::string show(const std::optional<Regs>& r) {
  char buf[48];
  if (!r) return "#DE";
  std::snprintf(buf, sizeof buf, "eax=%08x flags=%03x", r->eax, r->flags);
  return buf;
}

bool same(const BcdInsn& in, const std::optional<Regs>& a, const std::optional<Regs>& b) {
  if (!a || !b) return !a && !b;
  return a->eax == b->eax && !((a->flags ^ b->flags) & in.defined_flags);
}

// Whether this host runs 32-bit compatibility-mode user code: one DAA through
// the native harness in a child process, which dies by a signal if not.
bool native_compat_mode_available() {
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    // The test framework's crash handlers must not report the probe's death.
    for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE}) signal(sig, SIG_DFL);
    NativeBcd probe;
    auto [eax, flags] = probe.run({0x27}, 0x0000000f, 0x202);  // daa: 0x0f -> 0x15
    _exit(eax == 0x15 ? 0 : 1);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

TEST_CASE("BCD instructions: the interpreter matches the SDM pseudo-code for every input") {
  InterpBcd interp;
  long cases = 0, failed = 0;
  for (const BcdInsn& in : kInsns)
    for_each_input(in, [&](u32 eax, u32 fl) {
      const u8 imm = in.bytes.size() > 1 ? in.bytes[1] : 0;
      const std::optional<Regs> want = in.model(eax, fl, imm);
      const auto got_pair = interp.run(in.bytes, eax, fl);
      const std::optional<Regs> got = got_pair ? std::optional(Regs{got_pair->first, got_pair->second}) : std::nullopt;
      ++cases;
      if (!same(in, want, got) && ++failed <= 10)
        std::fprintf(stderr, "%s eax=%08x flags=%03x: SDM model %s, interpreter %s\n", in.name, eax, fl,
                     show(want).c_str(), show(got).c_str());
    });
  std::printf("BCD: interpreter vs SDM model: %ld cases, %ld differ\n", cases, failed);
  CHECK(failed == 0);
  CHECK(cases > 1000000);
}

TEST_CASE("BCD instructions: this machine's CPU in compatibility mode matches the same model, where it can run") {
  if (!native_compat_mode_available()) {
    std::printf(
        "BCD: native CPU vs SDM model: not run: this host cannot run 32-bit compatibility-mode user code "
        "(the probe's far return to selector 0x23 died in a child process)\n");
    return;
  }
  NativeBcd native;
  long cases = 0, failed = 0;
  for (const BcdInsn& in : kInsns) {
    if (!in.bytes.empty() && in.bytes[0] == 0xd4 && in.bytes[1] == 0) continue;  // #DE would end the process
    for_each_input(in, [&](u32 eax, u32 fl) {
      const u8 imm = in.bytes.size() > 1 ? in.bytes[1] : 0;
      const std::optional<Regs> want = in.model(eax, fl, imm);
      auto [n_eax, n_fl] = native.run(in.bytes, eax, fl);
      ++cases;
      if (!same(in, want, Regs{n_eax, n_fl}) && ++failed <= 10)
        std::fprintf(stderr, "%s eax=%08x flags=%03x: SDM model %s, native eax=%08x flags=%03x\n", in.name, eax, fl,
                     show(want).c_str(), n_eax, n_fl);
    });
  }
  std::printf("BCD: native CPU vs SDM model: %ld cases, %ld differ\n", cases, failed);
  CHECK(failed == 0);
}
