// The exit conditions of instructions in VMX non-root operation (SDM Vol.
// 3C §26.1): handlers call these when Cpu::vmx_non_root(), after the
// checks that take priority over VM exits (§26.1.1: #UD, CPL and I/O
// permission faults) and before the instruction changes anything. Each
// returns if the instruction runs on, and otherwise performs the exit and
// unwinds (Vmx::instruction_exit). Instructions with changed behaviour
// (MOV from CR0/CR4 and SMSW read the shadows) have their functions here too.
#pragma once
#include "cpu/cpu.h"
#include "cpu/vmx/exit_reasons.h"

namespace vtlab::vmx {

// CPUID, INVD, XSETBV, GETSEC (§26.1.2): always.
void exit_always(Cpu& c, const Insn& i, ExitReason r);
// By a primary processor-based control: HLT, RDPMC, RDTSC, MWAIT, MONITOR, PAUSE.
void exit_if(Cpu& c, const Insn& i, u32 proc_bit, ExitReason r);
// PAUSE: "PAUSE exiting", or "PAUSE-loop exiting" at CPL 0.
void pause(Cpu& c, const Insn& i);
// By a secondary control: WBINVD.
void exit_if2(Cpu& c, const Insn& i, u32 proc2_bit, ExitReason r);
void invlpg(Cpu& c, const Insn& i, u64 lin);
// RDTSCP: #UD unless "enable RDTSCP"; exits with "RDTSC exiting".
void rdtscp(Cpu& c, const Insn& i);
// INVPCID: #UD unless "enable INVPCID"; exits with "INVLPG exiting".
void invpcid(Cpu& c, const Insn& i);
// RDRAND / RDSEED exiting (instruction information: the register, its size).
void rdrand(Cpu& c, const Insn& i, bool seed);
// RDMSR / WRMSR: the MSR bitmaps, or always without them (§26.1.3).
// Returns true if "virtualize x2APIC mode" performed the access (§30.5):
// the instruction is then done.
bool msr_access(Cpu& c, const Insn& i, bool write);
// IN, OUT, INS, OUTS: unconditional I/O exiting or the I/O bitmaps.
void io(Cpu& c, const Insn& i, u16 port, unsigned size, bool in, bool string);
// MOV to CRn: exits, or sets `v` to the value to load (bits the guest/host
// mask gives the host keep their value, §26.3) and returns true; false if
// the instruction is done (MOV to CR8 with the TPR shadow, §30.3).
bool mov_to_cr(Cpu& c, const Insn& i, unsigned n, u64& v);
// MOV from CRn: exits (CR3/CR8 store exiting), or the value the guest
// reads (the read shadows for CR0/CR4).
u64 mov_from_cr(Cpu& c, const Insn& i, unsigned n);
// CLTS: exits, or false if CR0.TS is owned by the host (CLTS then does nothing).
bool clts(Cpu& c, const Insn& i);
// LMSW: exits, or returns the CR0 value to load.
u64 lmsw(Cpu& c, const Insn& i, u64 new_cr0);
// MOV DR: "MOV-DR exiting".
void mov_dr(Cpu& c, const Insn& i, unsigned dr, unsigned gpr, bool to_dr);
// LGDT LIDT SGDT SIDT (identity 2, 3, 0, 1) and LLDT LTR SLDT STR (2, 3,
// 0, 1): "descriptor-table exiting".
void descriptor_table(Cpu& c, const Insn& i, bool gdt_idt, unsigned identity);

}  // namespace vtlab::vmx
