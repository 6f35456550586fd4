// BCD instructions (DAA DAS AAA AAS AAM AAD) are invalid in 64-bit mode, so
// the 64-bit instruction harness cannot check them. This test runs them on
// this machine's CPU in 32-bit compatibility mode (Linux's user code
// selector 0x23) for every input AL/AH and flag combination, and compares
// EAX and the defined flags with the interpreter in 32-bit protected mode.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
#include <sys/mman.h>

#include <cstdio>
#include <cstring>
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
  std::pair<u32, u32> run(const std::vector<u8>& insn, u32 eax, u32 eflags) {
    if (insn != code_) {  // a store through PhysMem also drops the decoded block
      mem_.write_block(kCode, insn.data(), insn.size());
      code_ = insn;
    }
    cpu_.rip = kCode;
    cpu_.gpr[RAX] = eax;
    cpu_.flags.set(eflags);
    StopCause stop = cpu_.run(cpu_.icount() + 1);
    REQUIRE(stop == StopCause::InsnLimit);
    return {u32(cpu_.gpr[RAX]), u32(cpu_.rflags())};
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

struct BcdInsn {
  const char* name;
  std::vector<u8> bytes;
  u32 defined_flags;  // SDM Vol. 2: the rest are undefined
  bool uses_ah;       // iterate AH too (AAA AAS AAD)
};

}  // namespace

TEST_CASE("BCD instructions match this machine's CPU in 32-bit mode") {
  const BcdInsn insns[] = {
      {"daa", {0x27}, CF | AF | SF | ZF | PF, false},
      {"das", {0x2f}, CF | AF | SF | ZF | PF, false},
      {"aaa", {0x37}, CF | AF, true},
      {"aas", {0x3f}, CF | AF, true},
      {"aam 10", {0xd4, 0x0a}, SF | ZF | PF, false},
      {"aam 16", {0xd4, 0x10}, SF | ZF | PF, false},
      {"aam 7", {0xd4, 0x07}, SF | ZF | PF, false},
      {"aad 10", {0xd5, 0x0a}, SF | ZF | PF, true},
      {"aad 16", {0xd5, 0x10}, SF | ZF | PF, true},
      {"aad 3", {0xd5, 0x03}, SF | ZF | PF, true},
  };
  NativeBcd native;
  InterpBcd interp;
  long cases = 0, failed = 0;
  for (const BcdInsn& in : insns) {
    const unsigned ah_values = in.uses_ah ? 16 : 1;
    for (unsigned ah_i = 0; ah_i < ah_values; ++ah_i) {
      u32 ah = in.uses_ah ? (ah_i * 0x11 + 3) & 0xff : 0x5a;
      for (u32 al = 0; al < 256; ++al) {
        for (u32 fl_in : {0x202u, 0x202u | CF, 0x202u | AF, 0x202u | CF | AF}) {
          u32 eax = 0xdead0000 | ah << 8 | al;
          auto [n_eax, n_fl] = native.run(in.bytes, eax, fl_in);
          auto [i_eax, i_fl] = interp.run(in.bytes, eax, fl_in);
          ++cases;
          if (n_eax != i_eax || ((n_fl ^ i_fl) & in.defined_flags)) {
            if (++failed <= 10)
              std::fprintf(stderr, "%s eax=%08x flags=%03x: native eax=%08x flags=%03x, interpreter eax=%08x flags=%03x\n",
                           in.name, eax, fl_in, n_eax, n_fl, i_eax, i_fl);
          }
        }
      }
    }
  }
  std::fprintf(stderr, "BCD: %ld cases, %ld differ\n", cases, failed);
  CHECK(failed == 0);
}
