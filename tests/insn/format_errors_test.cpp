// insn_format_errors: malformed case files are rejected with "file:line:
// message" naming the problem.
#include <doctest/doctest.h>

#include "tests/insn/case_io.h"

using namespace insn;

namespace {

struct Bad {
    const char* what;
    const char* text;
    const char* expected;  // substring of the error, including the line
};

const Bad kBad[] = {
    {"missing end", "case a\n  bytes 90\n  out rip=+1\n", "bad.txt:1: case 'a' has no 'end'"},
    {"no bytes", "case a\n  out rip=+1\nend\n", "bad.txt:1: case 'a' has no 'bytes'"},
    {"no rip", "case a\n  bytes 90\nend\n", "bad.txt:1: case 'a' has no 'out rip=...'"},
    {"nested case", "case a\n  bytes 90\ncase b\n", "bad.txt:3: 'case' inside case 'a'"},
    {"outside case", "bytes 90\n", "bad.txt:1: 'bytes' outside a case"},
    {"unknown keyword", "case a\n  bytez 90\nend\n", "bad.txt:2: unknown keyword 'bytez'"},
    {"bad byte", "case a\n  bytes 9g\nend\n", "bad.txt:2: bad byte '9g'"},
    {"odd byte", "case a\n  bytes 900\nend\n", "bad.txt:2: bad byte '900' (expected two hex digits)"},
    {"unknown register", "case a\n  bytes 90\n  in rzx=1\n  out rip=+1\nend\n", "bad.txt:3: unknown register 'rzx'"},
    {"bad number", "case a\n  bytes 90\n  in rax=0xfoo\n  out rip=+1\nend\n", "bad.txt:3: bad register value '0xfoo'"},
    {"duplicate register", "case a\n  bytes 90\n  in rax=1 rax=2\n  out rip=+1\nend\n", "bad.txt:3: register 'rax' given twice"},
    {"not name=value", "case a\n  bytes 90\n  in rax\n  out rip=+1\nend\n", "bad.txt:3: expected name=value"},
    {"rip as input", "case a\n  bytes 90\n  in rip=+0\n  out rip=+1\nend\n", "bad.txt:3: initial rip is fixed"},
    {"TF in rflags", "case a\n  bytes 90\n  in rflags=0x302\n  out rip=+1\nend\n", "bad.txt:3: initial rflags may only set"},
    {"rflags without bit 1", "case a\n  bytes 90\n  in rflags=0x200\n  out rip=+1\nend\n", "bad.txt:3: initial rflags"},
    {"short xmm", "case a\n  bytes 90\n  in xmm1=1234\n  out rip=+1\nend\n", "bad.txt:3: bad xmm value '1234'"},
    {"xmm16", "case a\n  bytes 90\n  in xmm16=00000000000000000000000000000000\n  out rip=+1\nend\n", "bad.txt:3: no register xmm16"},
    {"memory outside windows", "case a\n  bytes 90\n  in-mem 0x1000: 00\n  out rip=+1\nend\n", "bad.txt:3: memory 0x1000: is outside"},
    {"memory crossing window end", "case a\n  bytes 90\n  in-mem 0x2000ffff: 00 01\n  out rip=+1\nend\n", "bad.txt:3: memory 0x2000ffff: is outside"},
    {"mem without colon", "case a\n  bytes 90\n  in-mem 0x20000000 00\n  out rip=+1\nend\n", "bad.txt:3: expected 'in-mem 0xADDR: bytes...'"},
    {"unknown vector", "case a\n  bytes 90\n  out rip=+0\n  fault XX rip=+0\nend\n", "bad.txt:4: unknown exception vector 'XX'"},
    {"fault without rip", "case a\n  bytes 90\n  out rip=+0\n  fault GP error=0\nend\n", "bad.txt:4: fault needs rip=..."},
    {"unknown fault field", "case a\n  bytes 90\n  out rip=+0\n  fault GP eror=0 rip=+0\nend\n", "bad.txt:4: unknown fault field 'eror'"},
    {"bad flag name", "case a\n  bytes 90\n  undef flags=cf,xf\n  out rip=+1\nend\n", "bad.txt:3: bad flag list 'cf,xf'"},
    {"bad undef item", "case a\n  bytes 90\n  undef cf\n  out rip=+1\nend\n", "bad.txt:3: expected 'flags=...', 'regs=...' or 'fsw=...'"},
    {"bad undef reg", "case a\n  bytes 90\n  undef regs=rax,foo\n  out rip=+1\nend\n", "bad.txt:3: unknown register 'foo' in undef regs"},
    {"undef-mem syntax", "case a\n  bytes 90\n  undef-mem 0x20000000\n  out rip=+1\nend\n", "bad.txt:3: expected 'undef-mem 0xADDR+LEN'"},
    {"count zero", "case a\n  bytes 90\n  count 0\n  out rip=+1\nend\n", "bad.txt:3: count must be at least 1"},
    {"note without native", "case a\n  bytes 90\n  note hi\n  out rip=+1\nend\n", "bad.txt:3: 'note' must follow"},
    {"vendor non-gpr", "case a\n  bytes 90\n  native-amd xmm0=1\n  out rip=+1\nend\n",
     "bad.txt:3: expected REG=VALUE with a general register, rflags or an x87 register (fsw, ftw, stN) after "
     "'native-amd', got 'xmm0=1'"},
    {"vendor without items", "case a\n  bytes 90\n  native-intel\n  out rip=+1\nend\n",
     "bad.txt:3: expected 'native-intel REG=VALUE...'"},
    {"vendor register twice", "case a\n  bytes 90\n  native-amd rax=1\n  native-amd rax=2\n  note n\n  out rip=+1\nend\n",
     "bad.txt:4: register 'rax' given twice for amd"},
    {"vendor without note", "case a\n  bytes 90\n  out rip=+1\n  native-amd rax=1\nend\n",
     "bad.txt:1: case 'a': native-amd needs a 'note'"},
    {"native without vendor", "case a\n  bytes 90\n  native rax=1\n  out rip=+1\nend\n",
     "bad.txt:3: 'native' names no vendor: use native-amd or native-intel"},
    {"native-mem without vendor", "case a\n  bytes 90\n  native-mem 0x20000000: 00\n  out rip=+1\nend\n",
     "bad.txt:3: 'native-mem' names no vendor: use native-amd-mem or native-intel-mem"},
    {"unknown vendor", "case a\n  bytes 90\n  native-via rax=1\n  out rip=+1\nend\n", "bad.txt:3: unknown keyword 'native-via'"},
    {"vendor mem outside windows", "case a\n  bytes 90\n  native-amd-mem 0x1000: 00\n  out rip=+1\nend\n",
     "bad.txt:3: memory 0x1000: is outside"},
    {"case name with space", "case a b\n", "bad.txt:1: expected 'case NAME' (one word)"},
    {"error in out on a later line", "case a\n  bytes 90\n  out rip=+1\n  out rbx=zz\nend\n", "bad.txt:4: bad register value 'zz'"},
};

}  // namespace

TEST_CASE("malformed case files give file:line: message") {
    for (const auto& b : kBad) {
        const std::string what = b.what;
        CAPTURE(what);
        std::string error;
        try {
            parse_cases(b.text, "bad.txt");
        } catch (const ParseError& e) {
            error = e.what();
        }
        CHECK_MESSAGE(error.find(b.expected) != std::string::npos, "got: '" << error << "'");
    }
}

TEST_CASE("a well-formed case parses with defaults filled in") {
    const auto cases = parse_cases(R"(# comment
case ok   # trailing comment
  asm add rax, rbx
  bytes 48 01 d8
  undef flags=af regs=rdx
  in rax=1 rbx=0x2 rflags=0x203
  in xmm3=00112233_44556677_8899aabb_ccddeeff
  in-mem 0x20000010: 01 02
  in-mem 0x20000012: 03
  out rax=0x3 rip=+3 rflags=0x206
  out-mem 0x2fff7ff8: aa
end
)",
                                   "ok.txt");
    REQUIRE(cases.size() == 1);
    const Case& c = cases[0];
    CHECK(c.name == "ok");
    CHECK(c.line == 2);
    CHECK(c.asm_text == "add rax, rbx");
    CHECK(c.bytes == std::vector<u8>{0x48, 0x01, 0xd8});
    CHECK(c.flags_undef == AF);
    CHECK(c.gpr_undef == (1u << RDX));
    CHECK(c.init.gpr[RAX] == 1);
    CHECK(c.init.gpr[RSP] == kDefaultRsp);
    CHECK(c.init.rflags == 0x203);
    CHECK(c.init.xmm[3][0] == 0xff);
    CHECK(c.init.xmm[3][15] == 0x00);
    CHECK(c.init.mxcsr == kDefaultMxcsr);
    REQUIRE(c.mem_init.size() == 1);  // adjacent lines merge into one run
    CHECK(c.mem_init[0].bytes == std::vector<u8>{1, 2, 3});
    CHECK(c.expected.state.gpr[RAX] == 3);
    CHECK(c.expected.state.gpr[RBX] == 2);  // unlisted outputs keep their input value
    CHECK(c.expected.state.rip == kCodeBase + 3);
    CHECK(c.expected.state.xmm[3][0] == 0xff);
    REQUIRE(c.expected.mem_changes.size() == 1);
    CHECK(c.expected.mem_changes[0].addr == 0x2fff7ff8);
    CHECK(!c.expected.exception);
}

TEST_CASE("vendor outcomes parse per vendor, apply only to their vendor and round-trip") {
    const auto cases = parse_cases(R"(
case split
  bytes 67 f3 a4
  in rcx=0x1100000000 rsi=0x2200000000 rdi=0x3300000000
  out rcx=0x0 rsi=0x0 rdi=0x0 rip=+3 rflags=0x202
  native-amd rcx=0x1100000000 rsi=0x2200000000
  native-amd rdi=0x3300000000
  native-amd-mem 0x20000010: 01
  note AMD keeps the upper halves
  note (second line)
  native-intel-mem 0x20000020: 02 03
  note an Intel-only byte
end
)",
                                   "split.txt");
    REQUIRE(cases.size() == 1);
    const Case& c = cases[0];
    REQUIRE(c.vendor_outcomes.size() == 2);
    CHECK(c.vendor_outcomes[0].vendor == Vendor::Amd);
    CHECK(c.vendor_outcomes[0].gprs.size() == 3);
    CHECK(c.vendor_outcomes[0].note == "AMD keeps the upper halves (second line)");
    CHECK(c.vendor_outcomes[1].vendor == Vendor::Intel);

    const Outcome amd = native_expectation(c, Vendor::Amd), intel = native_expectation(c, Vendor::Intel);
    CHECK(amd.state.gpr[RCX] == 0x1100000000);
    CHECK(amd.state.gpr[RDI] == 0x3300000000);
    CHECK(intel.state.gpr[RCX] == 0);
    REQUIRE(amd.mem_changes.size() == 1);
    CHECK(amd.mem_changes[0] == MemBytes{0x20000010, {1}});
    REQUIRE(intel.mem_changes.size() == 1);
    CHECK(intel.mem_changes[0] == MemBytes{0x20000020, {2, 3}});
    CHECK(c.expected.mem_changes.empty());  // `out` stays the interpreter's (Intel) outcome

    const auto again = parse_cases(format_case(c), "roundtrip");
    REQUIRE(again.size() == 1);
    CHECK(again[0].vendor_outcomes == c.vendor_outcomes);
    CHECK(format_case(again[0]) == format_case(c));
}

TEST_CASE("loading a missing file is an error naming it") {
    CHECK_THROWS_WITH_AS(load_case_file("/nonexistent/x.txt"), "/nonexistent/x.txt:0: cannot open file", ParseError);
}
