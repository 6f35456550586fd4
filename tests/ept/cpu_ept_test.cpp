// The CPU in VMX non-root operation with EPT: guest code whose loads,
// stores and fetches go through the two-dimensional walk; EPT faults
// abandon the instruction (nothing written, RIP at it) and reach the VMX
// code through the sink with their record; PAE PDPTE loads, real-mode
// (unrestricted) guests, IRET's NMI unblocking, faults during event
// delivery, PML from guest stores, the debugger's look-only translation.
#include <functional>
#include <string>
#include <vector>

#include "tests/ept/ept_rig.h"

namespace ept_test {
namespace {

TEST_CASE("guest loads and stores reach the host-physical page EPT names") {
  LongGuest g;
  g.ept.map(0x8000, 0x2f00000);  // guest-physical 0x8000 lives at 47 MiB
  g.mem.write(0x2f00000 + 0x10, 4, 0x11223344);
  Asm code;
  code.load(0x8010).raw({0x83, 0xc0, 0x01}).store(0x8014).end();  // eax = [0x8010] + 1; [0x8014] = eax
  g.run_ok(code);
  CHECK(g.cpu.gpr[RAX] == 0x11223345);
  CHECK(g.mem.read(0x2f00014, 4) == 0x11223345);
  CHECK(g.gget32(0x8014) == 0);  // not the identity backing
}

TEST_CASE("a store EPT refuses: EPT violation, nothing written, RIP at the store") {
  LongGuest g;
  g.ept.map(0x8000, kGuestBase + 0x8000, R | WB);
  Asm code;
  code.raw({0xb8}).d32(0x5555).store(0x8020).end();
  const u64 store_rip = LongGuest::kCode + 5 + 10;  // after mov eax and mov rbx
  const EptFault& f = g.run_ept_fault(code);
  CHECK(f.kind == EptFaultKind::Violation);
  CHECK(f.exit_reason() == 48);
  CHECK(f.gpa == 0x8020);
  CHECK(f.gla == 0x8020);
  // Data write; readable only; linear address valid and translated; a
  // user-mode, writable, executable linear address (the guest PTE is P|W|U).
  CHECK(f.qualification == (ept_qual::kWrite | R << 3 | ept_qual::kLinearValid | ept_qual::kTranslated |
                            ept_qual::kUserLinear | ept_qual::kWritableLinear));
  CHECK(g.cpu.rip == store_rip);
  CHECK(g.gget32(0x8020) == 0);
  CHECK(g.cpu.gpr[RAX] == 0x5555);  // the instructions before it retired
}

TEST_CASE("a read-modify-write instruction's refused read is a write; a plain read is a read") {
  LongGuest g;
  g.ept.map(0x8000, kGuestBase + 0x8000, X | WB);
  // add [rbx], eax
  const EptFault& rmw = g.run_ept_fault(Asm{}.mov_rbx(0x8000).raw({0x01, 0x03}).end());
  CHECK((rmw.qualification & 7) == (ept_qual::kRead | ept_qual::kWrite));
  // add eax, [rbx]
  const EptFault& rd = g.run_ept_fault(Asm{}.mov_rbx(0x8000).raw({0x03, 0x03}).end());
  CHECK((rd.qualification & 7) == ept_qual::kRead);
  // A read-only page: the read succeeds and the write is refused.
  g.ept.map(0x8000, kGuestBase + 0x8000, R | WB);
  const EptFault& wr = g.run_ept_fault(Asm{}.mov_rbx(0x8000).raw({0x01, 0x03}).end());
  CHECK((wr.qualification & 7) == ept_qual::kWrite);
}

TEST_CASE("instruction fetch needs EPT execute rights, on every page the instruction touches") {
  LongGuest g;
  SUBCASE("a jump to a page EPT maps without X") {
    g.ept.map(0x9000, kGuestBase + 0x9000, RW | WB);
    g.gput(0x9000, {0x0f, 0x0b});
    const EptFault& f = g.run_ept_fault(Asm{}.jmp(0x9000));
    CHECK(f.gpa == 0x9000);
    CHECK(f.gla == 0x9000);
    CHECK((f.qualification & 0x3f) == (ept_qual::kFetch | RW << 3));
    CHECK(g.cpu.rip == 0x9000);
  }
  SUBCASE("an instruction that continues on a page EPT maps without X") {
    g.ept.map(0xa000, kGuestBase + 0xa000, RW | WB);
    g.gput(0x9ffc, {0x90, 0x90, 0xb8, 0x01});  // nop; nop; mov eax, imm32 (3 bytes of it on the next page)
    g.gput(0xa000, {0x02, 0x03, 0x04, 0x0f, 0x0b});
    const EptFault& f = g.run_ept_fault(Asm{}.jmp(0x9ffc));
    CHECK(f.gpa == 0xa000);
    CHECK(g.cpu.rip == 0x9ffe);
  }
  SUBCASE("execute-only code runs") {
    g.ept.map(0x9000, kGuestBase + 0x9000, X | WB);
    g.gput(0x9000, {0xb8, 0x78, 0x56, 0x34, 0x12, 0x0f, 0x0b});
    REQUIRE(g.run(Asm{}.jmp(0x9000)) == StopCause::Exception);
    CHECK(g.cpu.intercepted_exception().vector == kUD);
    CHECK(g.cpu.rip == 0x9005);
    CHECK(g.cpu.gpr[RAX] == 0x12345678);
    // and reading it is refused
    const EptFault& f = g.run_ept_fault(Asm{}.load(0x9000).end());
    CHECK((f.qualification & 7) == ept_qual::kRead);
  }
}

TEST_CASE("EPT misconfiguration and PML-full events from guest stores") {
  LongGuest g;
  SUBCASE("misconfiguration") {
    g.ept.map(0x8000, kGuestBase + 0x8000, RWX | (2 << 3));
    const EptFault& f = g.run_ept_fault(Asm{}.store(0x8000).end());
    CHECK(f.kind == EptFaultKind::Misconfig);
    CHECK(f.exit_reason() == 49);
    CHECK(f.gpa == 0x8000);
    CHECK(f.qualification == 0);
  }
  SUBCASE("PML full") {
    SecondLevel s = g.second_level(true);
    s.pml = true;
    s.pml_address = 0x3000000;
    s.pml_index = 511;
    g.ept.map(0x8000, kGuestBase + 0x8000);
    g.cpu.set_second_level(s);
    g.gput32(0x8008, 0xaaaa);
    // A first run dirties the guest's table pages in EPT (with EPT A/D its
    // walks write them); then the log is made full. Reads work; the first
    // store to the page is a PML-full event.
    g.run_ok(Asm{}.load(0x8008).end());
    s = g.cpu.second_level();
    s.pml_index = 0xffff;
    g.cpu.set_second_level(s);
    g.run_ok(Asm{}.load(0x8008).end());
    CHECK(g.cpu.gpr[RAX] == 0xaaaa);
    const EptFault& f = g.run_ept_fault(Asm{}.raw({0xb8}).d32(7).store(0x8008).end());
    CHECK(f.kind == EptFaultKind::PmlFull);
    CHECK(f.exit_reason() == 62);
    CHECK(g.gget32(0x8008) == 0xaaaa);
    CHECK((g.ept.get(0x8000, 1) & ED) == 0);
  }
  SUBCASE("PML logs the first store to a page, and the rest run on the fast path") {
    SecondLevel s = g.second_level(true);
    s.pml = true;
    s.pml_address = 0x3000000;
    s.pml_index = 511;
    g.ept.map(0x8000, kGuestBase + 0x8000);
    // Dirty the guest tables' EPT entries and the code page's first, so the
    // log holds only the data page.
    g.cpu.set_second_level(s);
    g.run_ok(Asm{}.load(0x8000).end());
    const u16 before = g.cpu.second_level().pml_index;
    Asm code;
    for (int i = 0; i < 4; ++i) code.raw({0xb8}).d32(u32(i)).store(0x8000 + 8 * u64(i));
    g.run_ok(code.end());
    CHECK(g.cpu.second_level().pml_index == before - 1);
    CHECK(g.mem.read(0x3000000 + 8 * u64(before), 8) == 0x8000);
    CHECK((g.ept.get(0x8000, 1) & (EA | ED)) == (EA | ED));
    CHECK((g.gt.get(0x8000, 1) & (GA | GD)) == (GA | GD));
    CHECK(g.gget32(0x8018) == 3);
  }
}

TEST_CASE("5-level guest paging on 5-level EPT") {
  LongGuest g(5, PagingMode::Level5);
  g.ept.map(0x8000, 0x2f00000);
  g.gt.map4k(0x123456789000ull, 0x8000);
  g.run_ok(Asm{}.raw({0xb8}).d32(0xfeed).store(0x123456789008ull).end());
  CHECK(g.mem.read(0x2f00008, 4) == 0xfeed);
}

TEST_CASE("the debugger's translation: both dimensions, nothing changed") {
  LongGuest g;
  g.enter(true);
  g.ept.map(0x8000, 0x2f00000);
  SecondLevel s = g.cpu.second_level();
  std::vector<WalkStep> trace;
  u32 pf = 0;
  EptFault ef;
  CHECK(g.cpu.translate(0x8123, Access::Write, false, &trace, &pf, &ef) == 0x2f00123);
  CHECK(trace.size() == 4 * 5 + 4);
  CHECK((g.ept.get(0x8000, 1) & (EA | ED)) == 0);
  CHECK((g.gt.get(0x8000, 1) & GA) == 0);
  CHECK(g.cpu.second_level().pml_index == s.pml_index);
  g.ept.map(0x8000, 0x2f00000, R | WB);
  CHECK(g.cpu.translate(0x8123, Access::Write, false, nullptr, &pf, &ef) == ~u64(0));
  CHECK(ef.kind == EptFaultKind::Violation);
  CHECK(ef.gpa == 0x8123);
  CHECK(g.cpu.translate_guest_physical(0x8123, Access::Read, nullptr, &ef) == 0x2f00123);
}

// A 32-bit protected-mode guest with PAE paging.
struct PaeGuest : Rig {
  GuestTables gt{mem, PagingMode::Pae, 0x100000};
  PaeGuest() {
    for (u64 p = 0; p < 0x200000; p += 0x1000) gt.map4k(p, p, P | GW | U);
    const u32 data = ar::P | ar::S | ar::kTypeWritable | ar::kTypeAccessed | ar::DB | ar::G;
    for (unsigned s = 0; s < kNumSegs; ++s) cpu.seg[s] = Segment{0x10, 0, 0xffffffff, data};
    cpu.seg[CS] = Segment{0x08, 0, 0xffffffff,
                          ar::P | ar::S | ar::kTypeCode | ar::kTypeReadable | ar::kTypeAccessed | ar::DB | ar::G};
    cpu.cr3 = gt.root;
    cpu.cr4 = cr4::PAE;
    cpu.efer = 0;
    cpu.cr0 = cr0::PE | cr0::PG | cr0::ET;
    cpu.mode_changed();
    enter();
    cpu.paging_changed();
  }
  // mov eax, cr3_value; mov cr3, eax; ud2
  StopCause load_cr3(u64 value) {
    const u8 code[] = {0xb8, u8(value), u8(value >> 8), u8(value >> 16), u8(value >> 24), 0x0f, 0x22, 0xd8, 0x0f, 0x0b};
    mem.write_block(hpa(0x1000), code, sizeof code);
    cpu.rip = 0x1000;
    return cpu.run(cpu.icount() + 10);
  }
};

TEST_CASE("PAE: MOV to CR3 loads the PDPTEs through EPT, as reads, with no linear address") {
  PaeGuest g;
  const u64 pdpt = 0x20000;
  u64 regs[4];
  g.gt.pdptes(regs);
  for (unsigned i = 0; i < 4; ++i) g.gput64(pdpt + 8 * i, regs[i]);
  SUBCASE("loaded from the host page EPT names") {
    g.ept.map(pdpt, 0x2f00000);
    for (unsigned i = 0; i < 4; ++i) g.mem.write(0x2f00000 + 8 * i, 8, regs[i]);
    g.mem.write(0x2f00000 + 8, 8, 0x555000 | P);
    REQUIRE(g.load_cr3(pdpt) == StopCause::Exception);
    CHECK(g.cpu.intercepted_exception().vector == kUD);
    CHECK(g.cpu.pdpte[0] == regs[0]);
    CHECK(g.cpu.pdpte[1] == (0x555000 | P));
  }
  SUBCASE("an execute-only PDPT page is an EPT violation with bit 7 clear") {
    g.ept.map(pdpt, kGuestBase + pdpt, X | WB);
    REQUIRE(g.load_cr3(pdpt | 0x8) == StopCause::Exception);
    REQUIRE(g.cpu.intercepted_exception().ept);
    const EptFault& f = g.cpu.ept_fault();
    CHECK(f.gpa == pdpt);
    CHECK(f.qualification == (ept_qual::kRead | X << 3));
    CHECK(g.cpu.cr3 == g.gt.root);  // MOV did not complete
    CHECK(g.cpu.rip == 0x1005);
  }
  SUBCASE("a read-only PDPT page with EPT A/D: still a read, no violation") {
    g.enter(true);
    g.ept.map(pdpt, kGuestBase + pdpt, R | X | WB);
    REQUIRE(g.load_cr3(pdpt) == StopCause::Exception);
    CHECK(g.cpu.intercepted_exception().vector == kUD);
    CHECK(g.cpu.cr3 == pdpt);
  }
  SUBCASE("a reserved bit in a present PDPTE is #GP(0)") {
    g.gput64(pdpt + 16, 0x1000 | P | 2);  // bit 1 reserved
    REQUIRE(g.load_cr3(pdpt) == StopCause::Exception);
    CHECK(g.cpu.intercepted_exception().vector == kGP);
  }
}

TEST_CASE("unrestricted guest: real-mode code with EPT") {
  Rig g;
  for (unsigned s = 0; s < kNumSegs; ++s)
    g.cpu.seg[s] = Segment{0, 0, 0xffff, ar::P | ar::S | ar::kTypeWritable | ar::kTypeAccessed};
  g.cpu.seg[CS] = Segment{0, 0, 0xffff, ar::P | ar::S | ar::kTypeCode | ar::kTypeReadable | ar::kTypeAccessed};
  g.cpu.cr0 = cr0::ET;
  g.cpu.mode_changed();
  g.enter();
  g.cpu.paging_changed();
  g.ept.map(0x8000, 0x2f00000);
  g.mem.write(0x2f00010, 2, 0xbeef);
  // mov ax, [0x8010]; mov [0x8012], ax; ud2
  g.gput(0x1000, {0xa1, 0x10, 0x80, 0xa3, 0x12, 0x80, 0x0f, 0x0b});
  g.cpu.rip = 0x1000;
  REQUIRE(g.cpu.run(g.cpu.icount() + 10) == StopCause::Exception);
  CHECK(g.cpu.intercepted_exception().vector == kUD);
  CHECK(u16(g.cpu.gpr[RAX]) == 0xbeef);
  CHECK(g.mem.read(0x2f00012, 2) == 0xbeef);
  // A read-only page: the store is refused; with paging off the linear
  // address is a user-mode, writable one (advanced information).
  g.ept.map(0x8000, 0x2f00000, R | X | WB);
  g.cpu.invalidate_ept(g.ept.eptp());
  g.cpu.rip = 0x1000;
  REQUIRE(g.cpu.run(g.cpu.icount() + 10) == StopCause::Exception);
  REQUIRE(g.cpu.intercepted_exception().ept);
  CHECK(g.cpu.ept_fault().gpa == 0x8012);
  CHECK(g.cpu.ept_fault().gla == 0x8012);
  CHECK(g.cpu.ept_fault().qualification == (ept_qual::kWrite | (R | X) << 3 | ept_qual::kLinearValid |
                                            ept_qual::kTranslated | ept_qual::kUserLinear | ept_qual::kWritableLinear));
  CHECK(g.cpu.rip == 0x1003);
}

TEST_CASE("an EPT violation in an IRET that ends NMI blocking sets bit 12") {
  LongGuest g;
  g.ept.map(0x8f000, kGuestBase + 0x8f000, X | WB);  // the stack page cannot be read
  g.cpu.gpr[RSP] = 0x8ff00;
  SUBCASE("NMIs blocked before the IRET") {
    g.cpu.nmi_blocked_ = true;
    const EptFault& f = g.run_ept_fault(Asm{}.iretq().end());
    CHECK(f.gpa == 0x8ff00);
    CHECK((f.qualification & ept_qual::kNmiUnblocking) != 0);
    CHECK((f.qualification & 7) == ept_qual::kRead);
  }
  SUBCASE("NMIs not blocked") {
    const EptFault& f = g.run_ept_fault(Asm{}.iretq().end());
    CHECK((f.qualification & ept_qual::kNmiUnblocking) == 0);
  }
  SUBCASE("not for a fault in a later instruction") {
    g.cpu.nmi_blocked_ = true;
    g.cpu.gpr[RSP] = 0x80000;
    // An IRETQ to the next instruction (a frame built on the readable
    // stack), then a load from the unreadable page.
    g.gput64(0x80000, LongGuest::kCode + 2);
    g.gput64(0x80008, 0x08);
    g.gput64(0x80010, 0x2);
    g.gput64(0x80018, 0x80100);
    g.gput64(0x80020, 0x10);
    const EptFault& f = g.run_ept_fault(Asm{}.iretq().load(0x8f000).end());
    CHECK(f.gpa == 0x8f000);
    CHECK((f.qualification & ept_qual::kNmiUnblocking) == 0);
    CHECK(!g.cpu.nmi_blocked_);
  }
}

struct RecordingSink : EptFaultSink {
  Cpu& cpu;
  std::vector<EptFault> faults;
  std::function<void()> on_fault;
  explicit RecordingSink(Cpu& c) : cpu(c) {}
  void ept_fault(const EptFault& f) override {
    faults.push_back(f);
    if (on_fault) on_fault();
  }
};

TEST_CASE("the sink gets the fault; the instruction runs again once EPT allows it") {
  LongGuest g;
  g.cpu.set_intercept_exceptions(false);
  RecordingSink sink(g.cpu);
  g.cpu.set_ept_fault_sink(&sink);
  g.ept.map(0x8000, kGuestBase + 0x8000, R | WB);
  // What a hypervisor does on an EPT violation: make the page writable
  // (a violation is never cached, so no INVEPT is needed) and resume.
  sink.on_fault = [&] { g.ept.map(0x8000, kGuestBase + 0x8000, RW | WB); };
  Asm code;
  code.raw({0xb8}).d32(0x77).store(0x8040).raw({0xfa, 0xf4});  // cli; hlt
  g.mem.write_block(g.hpa(LongGuest::kCode), code.b.data(), code.b.size());
  g.cpu.rip = LongGuest::kCode;
  CHECK(g.cpu.run(g.cpu.icount() + 100) == StopCause::HaltedForever);
  REQUIRE(sink.faults.size() == 1);
  CHECK(sink.faults[0].gpa == 0x8040);
  CHECK(!sink.faults[0].during_delivery);
  CHECK(g.gget32(0x8040) == 0x77);
}

TEST_CASE("an EPT violation while delivering an exception carries the event") {
  LongGuest g;
  g.cpu.set_intercept_exceptions(false);
  RecordingSink sink(g.cpu);
  sink.on_fault = [&] { g.cpu.request_stop(); };
  g.cpu.set_ept_fault_sink(&sink);
  g.ept.map(LongGuest::kIdt, kGuestBase + LongGuest::kIdt, X | WB);  // the IDT cannot be read
  // xor ecx, ecx; div ecx: #DE, whose delivery reads the IDT.
  g.mem.write_block(g.hpa(LongGuest::kCode), std::vector<u8>{0x31, 0xc9, 0xf7, 0xf1}.data(), 4);
  g.cpu.rip = LongGuest::kCode;
  g.cpu.run(g.cpu.icount() + 100);
  REQUIRE(sink.faults.size() == 1);
  const EptFault& f = sink.faults[0];
  CHECK(f.gpa == LongGuest::kIdt);  // vector 0's gate
  CHECK(f.during_delivery);
  CHECK(f.vector == kDE);
  CHECK(!f.has_error);
  CHECK(!f.software);
}

TEST_CASE("an EPT fault with nothing to take it stops the run") {
  LongGuest g;
  g.cpu.set_intercept_exceptions(false);
  g.ept.map(0x8000, kGuestBase + 0x8000, R | WB);
  Asm code;
  code.store(0x8000).end();
  g.mem.write_block(g.hpa(LongGuest::kCode), code.b.data(), code.b.size());
  g.cpu.rip = LongGuest::kCode;
  CHECK(g.cpu.run(g.cpu.icount() + 100) == StopCause::InternalError);
  CHECK(g.cpu.stop_detail().find("EPT") != std::string::npos);
}

}  // namespace
}  // namespace ept_test
