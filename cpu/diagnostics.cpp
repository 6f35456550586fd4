#include "cpu/diagnostics.h"

#include <algorithm>
#include <string>

#include "core/base/disasm.h"
#include "cpu/cpu.h"
#include "cpu/decoder.h"

namespace vtlab {

void keep_raw_bytes(Insn& insn, const u8* bytes, unsigned avail) {
  const unsigned n = std::min(avail, 15u);
  insn.imm = insn.imm2 = 0;
  for (unsigned i = 0; i < n; ++i) (i < 8 ? insn.imm : insn.imm2) |= u64(bytes[i]) << (8 * (i % 8));
  insn.imm2 |= u64(n) << 56;  // byte 15 holds the count
}

InsnSite site_of(const Cpu& cpu, const Insn& insn) {
  InsnSite s;
  s.mnemonic = insn.mnemonic;
  s.rip = cpu.rip;
  s.code_size = u8(cpu.code_size());
  s.len = u8(insn.imm2 >> 56);
  for (unsigned i = 0; i < s.len; ++i) s.bytes[i] = u8((i < 8 ? insn.imm : insn.imm2) >> (8 * (i % 8)));
  return s;
}

void log_delivery(Cpu& cpu, u8 vector, bool has_error, u32 error, u64 return_rip, bool software, bool nested) {
  Log& log = cpu.log();
  const auto rip = static_cast<unsigned long long>(return_rip);
  const char* nest = nested ? " (while delivering another event)" : "";
  if (software)
    log.line(LogCategory::Int, "INT 0x%x (software), return RIP 0x%llx%s", vector, rip, nest);
  else if (vector >= 32)
    log.line(LogCategory::Int, "interrupt vector 0x%x, RIP 0x%llx%s", vector, rip, nest);
  else if (vector == kPF)
    log.line(LogCategory::Int, "#PF (vector 14) error 0x%x, RIP 0x%llx, CR2 0x%llx%s", error, rip,
             static_cast<unsigned long long>(cpu.cr2), nest);
  else if (has_error)
    log.line(LogCategory::Int, "%s (vector %u) error 0x%x, RIP 0x%llx%s", vector_name(vector), vector, error, rip,
             nest);
  else
    log.line(LogCategory::Int, "%s (vector %u), RIP 0x%llx%s", vector_name(vector), vector, rip, nest);
}

void log_invalid_opcode(Cpu& cpu, const Insn& insn) {
  const InsnSite s = site_of(cpu, insn);
  const bool unimplemented = insn.attrs & attr::kUnimplemented;
  std::string text = describe_instruction(s.code(), s.code_size, s.rip);
  // Zydis knew it, Capstone did not: name it with Zydis' mnemonic.
  if (s.mnemonic && !disassemble(s.code(), s.code_size, s.rip))
    text += std::string(", mnemonic ") + mnemonic_name(s.mnemonic);
  const char* why = unimplemented ? ": valid, but vtlab does not implement it yet"
                    : s.mnemonic  ? ": not valid on this CPU model (an extension it does not report, or a LOCK prefix)"
                                  : "";
  cpu.log().line(unimplemented ? LogCategory::Unimp : LogCategory::GuestErrors, "#UD at decode, RIP 0x%llx: %s%s",
                 static_cast<unsigned long long>(s.rip), text.c_str(), why);
}

void log_refused_msr(Cpu& cpu, bool write, u32 index, u64 value) {
  if (write)
    cpu.log().line(LogCategory::Unimp,
                   "WRMSR 0x%x value 0x%llx refused (no such MSR or a reserved value): #GP(0), RIP 0x%llx", index,
                   static_cast<unsigned long long>(value), static_cast<unsigned long long>(cpu.rip));
  else
    cpu.log().line(LogCategory::Unimp, "RDMSR 0x%x refused (no such MSR in vtlab's model): #GP(0), RIP 0x%llx", index,
                   static_cast<unsigned long long>(cpu.rip));
}

}  // namespace vtlab
