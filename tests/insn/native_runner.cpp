// Native runner: maps the fixed layout of case.h, runs a case through the
// stubs of native_stub.S and catches its exception with a signal handler.
//
// Linux delivers CPU exceptions of user code as signals with the hardware
// vector in REG_TRAPNO and the error code in REG_ERR: #DE and #XM as SIGFPE,
// #UD as SIGILL, #GP and #PF as SIGSEGV, #AC as SIGBUS, #BP as SIGTRAP.
#include "tests/insn/native_runner.h"

#include <cpuid.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <x86intrin.h>

#include <cstring>
#include <stdexcept>
#include <string>

extern "C" void vtlab_insn_enter();
extern "C" void vtlab_insn_exit();

namespace insn {

namespace {

constexpr u64 kRunnerBase = 0x4000'0000;  // state block + private stack (see native_stub.S)
constexpr u64 kRunnerSize = 0x2000;
constexpr u64 kResumeFlag = 1u << 16;  // RF: set in the pushed image of faults, not architectural state

struct StateBlock {  // layout fixed by native_stub.S
    u64 in_gpr[16];
    u64 in_rflags;
    u64 unused_in;
    u64 entry;
    u64 host_rsp;
    u64 out_gpr[16];
    u64 out_rflags;
    u64 unused_out;
    u8 pad[0x400 - 0x130];
    alignas(16) u8 in_fx[512];   // FXRSTOR64 image: x87, MXCSR, XMM
    alignas(16) u8 out_fx[512];  // FXSAVE64 image
};
static_assert(offsetof(StateBlock, out_gpr) == 0xa0 && offsetof(StateBlock, in_fx) == 0x400 &&
              offsetof(StateBlock, out_fx) == 0x600);

StateBlock* const block = reinterpret_cast<StateBlock*>(kRunnerBase);
u8* const code = reinterpret_cast<u8*>(kCodeBase);

sigjmp_buf fault_jump;
volatile sig_atomic_t in_case = 0;
Exception fault;
State fault_state;

void map_fixed(u64 addr, u64 size, int prot) {
    void* p = mmap(reinterpret_cast<void*>(addr), size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != reinterpret_cast<void*>(addr))
        throw std::runtime_error("native runner: cannot map fixed address " + std::to_string(addr));
}

void on_fault(int sig, siginfo_t* info, void* ctx) {
    if (!in_case) {  // a bug in the harness itself: die with the default action
        signal(sig, SIG_DFL);
        return;
    }
    auto* uc = static_cast<ucontext_t*>(ctx);
    const greg_t* g = uc->uc_mcontext.gregs;
    static constexpr int kRegs[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
                                      REG_R8,  REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};
    for (int i = 0; i < 16; ++i) fault_state.gpr[i] = static_cast<u64>(g[kRegs[i]]);
    fault_state.rip = static_cast<u64>(g[REG_RIP]);
    fault_state.rflags = static_cast<u64>(g[REG_EFL]) & ~kResumeFlag;
    if (uc->uc_mcontext.fpregs) state_from_fxsave(reinterpret_cast<const u8*>(uc->uc_mcontext.fpregs), fault_state);
    fault.vector = static_cast<u8>(g[REG_TRAPNO]);
    fault.error_code = static_cast<u32>(g[REG_ERR]);
    fault.rip = fault_state.rip;
    fault.cr2 = fault.vector == PF_ ? reinterpret_cast<u64>(info->si_addr) : 0;
    siglongjmp(fault_jump, 1);
}

void setup_once() {
    static bool done = false;
    if (done) return;
    // Windows, plus inaccessible guard pages around them so nothing else is
    // mapped there and an access just outside a window faults.
    map_fixed(kCodeBase, kCodeSize, PROT_READ | PROT_EXEC);
    map_fixed(kCodeBase + kCodeSize, 0x1000, PROT_NONE);
    map_fixed(kDataBase - 0x1000, 0x1000, PROT_NONE);
    map_fixed(kDataBase, kDataSize, PROT_READ | PROT_WRITE);
    map_fixed(kDataBase + kDataSize, 0x1000, PROT_NONE);
    map_fixed(kStackBase - 0x1000, 0x1000, PROT_NONE);
    map_fixed(kStackBase, kStackSize, PROT_READ | PROT_WRITE);
    map_fixed(kStackTop, 0x1000, PROT_NONE);
    map_fixed(kRunnerBase, kRunnerSize, PROT_READ | PROT_WRITE);

    // The case may have set rsp to anything: handle signals on our own stack.
    static u8 alt_stack[64 * 1024];
    stack_t ss{};
    ss.ss_sp = alt_stack;
    ss.ss_size = sizeof alt_stack;
    sigaltstack(&ss, nullptr);
    struct sigaction sa {};
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP}) sigaction(sig, &sa, nullptr);
    done = true;
}

State saved_state() {
    State s;
    std::memcpy(s.gpr, block->out_gpr, sizeof s.gpr);
    s.rflags = block->out_rflags;
    state_from_fxsave(block->out_fx, s);
    return s;
}

}  // namespace

Outcome run_native(const Case& c) {
    setup_once();
    if (c.bytes.size() + 14 > kCodeSize) throw std::runtime_error("case " + c.name + ": too many bytes");

    // Code: the case's bytes, then "jmp [rip+0]; .quad vtlab_insn_exit".
    // The page is read/execute while the case runs, as in the interpreter.
    mprotect(code, kCodeSize, PROT_READ | PROT_WRITE);
    std::memset(code, 0xcc, kCodeSize);
    std::memcpy(code, c.bytes.data(), c.bytes.size());
    u8* trailer = code + c.bytes.size();
    const u8 jmp_indirect[6] = {0xff, 0x25, 0, 0, 0, 0};
    std::memcpy(trailer, jmp_indirect, 6);
    const u64 exit_addr = reinterpret_cast<u64>(&vtlab_insn_exit);
    std::memcpy(trailer + 6, &exit_addr, 8);
    mprotect(code, kCodeSize, PROT_READ | PROT_EXEC);

    const auto data_before = initial_window(c, kDataBase);
    const auto stack_before = initial_window(c, kStackBase);
    std::memcpy(reinterpret_cast<void*>(kDataBase), data_before.data(), kDataSize);
    std::memcpy(reinterpret_cast<void*>(kStackBase), stack_before.data(), kStackSize);

    std::memset(block, 0, sizeof *block);
    std::memcpy(block->in_gpr, c.init.gpr, sizeof block->in_gpr);
    block->in_rflags = (c.init.rflags & kSettableFlags) | kFixedFlags;
    fxsave_image(c.init, block->in_fx);
    block->entry = kCodeBase;

    // The case changes the x87/SSE state (and may leave an x87 exception
    // pending); the host's comes back afterwards.
    alignas(64) static u8 host_fpu[512];
    _fxsave64(host_fpu);

    Outcome out;
    if (sigsetjmp(fault_jump, 1) == 0) {
        in_case = 1;
        vtlab_insn_enter();
        in_case = 0;
        out.state = saved_state();
        out.state.rip = kCodeBase + c.bytes.size();
    } else {
        in_case = 0;
        out.state = fault_state;
        out.exception = fault;
    }
    _fxrstor64(host_fpu);

    append_memory_changes(kDataBase, data_before,
                          {reinterpret_cast<const u8*>(kDataBase), kDataSize}, out.mem_changes);
    append_memory_changes(kStackBase, stack_before,
                          {reinterpret_cast<const u8*>(kStackBase), kStackSize}, out.mem_changes);
    return out;
}

std::string host_vendor_string() {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    __get_cpuid(0, &eax, &ebx, &ecx, &edx);
    char s[13] = {};
    std::memcpy(s, &ebx, 4);
    std::memcpy(s + 4, &edx, 4);
    std::memcpy(s + 8, &ecx, 4);
    return s;
}

Vendor host_vendor() {
    const std::string v = host_vendor_string();
    return v == "AuthenticAMD" || v == "HygonGenuine" ? Vendor::Amd : Vendor::Intel;
}

}  // namespace insn
