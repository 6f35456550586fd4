// Spec files (tests/insn/specs/*.spec) describe instruction forms and the
// operand values to try; insn-gen expands them into cases. See docs/instruction-test-format.md.
#pragma once

#include <string>
#include <vector>

#include "tests/insn/case.h"

namespace insn::gen {

// A `vendor` line: how Intel's and AMD's outcomes differ for this form.
//   vendor mem OFFSET intel HEX... amd HEX... -- note   bytes at the first memory operand + OFFSET
//   vendor @RULE [ARG...] -- note                       a rule of gen/vendor_rules.cpp
struct VendorRule {
    std::string rule;               // "mem" or "@name"
    std::vector<std::string> args;  // @rule arguments
    u32 offset = 0;                 // mem
    std::vector<u8> intel, amd;     // mem
    std::string note;
};

// One {...} placeholder of a form's template.
struct Placeholder {
    std::string type;   // r r8..r64 m m8..m864 i i8..i64 x st mm %REG %A %C %D
    std::string kind;   // value kind ("" = the type's default)
    bool silent = false;  // {-...}: binds a value, prints nothing
};

struct Form {
    std::string name;
    std::string tmpl;                  // assembly template (Intel syntax), or empty with `bytes`
    std::vector<u8> bytes;             // explicit encoding (no placeholders allowed)
    std::vector<Placeholder> ops;      // in template order
    std::vector<int> widths{64};       // W for width-generic placeholders
    std::string n = "12";              // cases per width: number, "max" or "max+K"
    std::string flags = "rand";        // rand | cf | df | zero
    std::string undef;                 // flag names or @rule
    std::vector<u32> mxcsr;            // cycled through the cases (default 0x1f80)
    std::vector<std::string> inits;    // "reg=value" fixed initial registers
    std::vector<std::pair<u32, u32>> undef_mem;  // offset,len relative to the first memory operand
    std::vector<VendorRule> vendor_rules;  // where Intel and AMD hardware differ (gen/vendor_rules.h)
    std::vector<std::string> each;     // replicate the form once per word, replacing '$'
    bool approx = false;
    bool misalign = false;             // memory operands deliberately not naturally aligned
    // x87: `x87 N KIND` fills ST(0)..ST(N-1) (random TOP, the other
    // registers empty with random contents); fcw/fsw values are cycled
    // (fsw bits are ORed in); undef-fsw masks FSW bits in the outcome.
    int x87_depth = -1;
    std::string x87_kind = "f80";
    std::vector<u16> fcw, fsw;
    u16 fsw_undef = 0;
    std::string file;
    int line = 0;
};

struct Spec {
    std::string output;   // cases/<output>.txt
    std::string comment;  // header text for the output file
    u64 seed = 1;
    std::vector<Form> forms;
};

Spec parse_spec(const std::string& path);  // throws std::runtime_error("file:line: msg")

}  // namespace insn::gen
