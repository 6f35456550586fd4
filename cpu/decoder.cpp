#include "cpu/decoder.h"

#include <bit>

#include "cpu/cpu.h"
#include "cpu/cpuid_table.h"
#include "cpu/insn_table.h"

namespace vtlab {

void handler_invalid_opcode(Cpu& cpu, const Insn& insn) {
  const bool unimplemented = insn.attrs & attr::kUnimplemented;
  if (unimplemented) cpu.note_unimplemented(site_of(cpu, insn));
  if (cpu.log().on(unimplemented ? LogCategory::Unimp : LogCategory::GuestErrors)) log_invalid_opcode(cpu, insn);
  cpu.raise(kUD);
}

void handler_too_long(Cpu& cpu, const Insn&) { cpu.raise(kGP, 0); }

const char* mnemonic_name(u16 mnemonic) {
  const char* s = ZydisMnemonicGetString(ZydisMnemonic(mnemonic));
  return s ? s : "?";
}

Decoder::Decoder() {
  ZydisDecoderInit(&dec16_, ZYDIS_MACHINE_MODE_LEGACY_16, ZYDIS_STACK_WIDTH_16);
  ZydisDecoderInit(&dec32_, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
  ZydisDecoderInit(&dec64_, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
  // Extensions in the reserved-NOP space that CPUID does not report decode
  // as the NOPs (and ignored prefixes) they are on such hardware, not as
  // their instructions (which the ISA gate would make #UD). Zydis' default
  // decoding of 0x66 on near branches in 64-bit mode is Intel's (ignored).
  const NopSpaceExtensions nop_space = nop_space_extensions();
  for (ZydisDecoder* d : {&dec16_, &dec32_, &dec64_}) {
    ZydisDecoderEnableMode(d, ZYDIS_DECODER_MODE_CET, nop_space.cet);
    ZydisDecoderEnableMode(d, ZYDIS_DECODER_MODE_MPX, nop_space.mpx);
    ZydisDecoderEnableMode(d, ZYDIS_DECODER_MODE_CLDEMOTE, nop_space.cldemote);
  }
}

namespace {

// ZydisRegister -> our operand description.
Operand map_register(ZydisRegister r, unsigned size_bits) {
  Operand o;
  o.size = u8(size_bits / 8);
  if (r >= ZYDIS_REGISTER_AH && r <= ZYDIS_REGISTER_BH) {
    o.kind = OpKind::GprHigh;
    o.reg = u8(r - ZYDIS_REGISTER_AH);
    return o;
  }
  switch (ZydisRegisterGetClass(r)) {
    case ZYDIS_REGCLASS_GPR8:
      o.kind = OpKind::Gpr;
      // AL CL DL BL | AH..BH | SPL BPL SIL DIL | R8B..R15B
      o.reg = r <= ZYDIS_REGISTER_BL ? u8(r - ZYDIS_REGISTER_AL)
              : r <= ZYDIS_REGISTER_DIL ? u8(r - ZYDIS_REGISTER_SPL + 4)
                                        : u8(r - ZYDIS_REGISTER_R8B + 8);
      return o;
    case ZYDIS_REGCLASS_GPR16:
    case ZYDIS_REGCLASS_GPR32:
    case ZYDIS_REGCLASS_GPR64:
      o.kind = OpKind::Gpr;
      o.reg = u8(ZydisRegisterGetId(r));
      return o;
    case ZYDIS_REGCLASS_SEGMENT: o.kind = OpKind::Seg; break;
    case ZYDIS_REGCLASS_CONTROL: o.kind = OpKind::Cr; break;
    case ZYDIS_REGCLASS_DEBUG: o.kind = OpKind::Dr; break;
    case ZYDIS_REGCLASS_XMM: o.kind = OpKind::Xmm; break;
    case ZYDIS_REGCLASS_X87: o.kind = OpKind::St; break;
    case ZYDIS_REGCLASS_MMX: o.kind = OpKind::Mmx; break;
    default: o.kind = OpKind::None; return o;
  }
  o.reg = u8(ZydisRegisterGetId(r));
  return o;
}

u8 map_gpr_any(ZydisRegister r) {
  if (r == ZYDIS_REGISTER_NONE) return kNoReg;
  if (r == ZYDIS_REGISTER_RIP || r == ZYDIS_REGISTER_EIP || r == ZYDIS_REGISTER_IP) return kRipReg;
  Operand o = map_register(r, 64);
  return o.kind == OpKind::Gpr ? o.reg : kNoReg;
}

void fill_memref(const ZydisDecodedOperand& op, Insn& out) {
  out.mem.base = map_gpr_any(op.mem.base);
  out.mem.index = map_gpr_any(op.mem.index);
  out.mem.scale = op.mem.scale ? u8(std::countr_zero(unsigned(op.mem.scale))) : 0;
  out.mem.disp = op.mem.disp.has_displacement ? op.mem.disp.value : 0;
  out.mem.seg = op.mem.segment == ZYDIS_REGISTER_NONE ? u8(DS) : u8(op.mem.segment - ZYDIS_REGISTER_ES);
}

// Hidden memory operands based on rSI (string sources) or rBX (XLAT) carry
// the segment override; stack operands (rSP) and ES:rDI cannot be overridden.
bool is_string_source_base(ZydisRegister r) {
  switch (r) {
    case ZYDIS_REGISTER_RSI: case ZYDIS_REGISTER_ESI: case ZYDIS_REGISTER_SI:
    case ZYDIS_REGISTER_RBX: case ZYDIS_REGISTER_EBX: case ZYDIS_REGISTER_BX: return true;
    default: return false;
  }
}

// The segment the last segment-override prefix names, DS without one.
// (Zydis reports no segment attribute for an instruction without a memory
// operand, so this reads the prefix bytes.)
u8 override_segment(const ZydisDecodedInstruction& zi) {
  constexpr struct {
    u8 prefix, seg;
  } kPrefixes[] = {{0x26, ES}, {0x2e, CS}, {0x36, SS}, {0x3e, DS}, {0x64, FS}, {0x65, GS}};
  u8 seg = DS;
  for (unsigned k = 0; k < zi.raw.prefix_count; ++k)
    for (const auto& p : kPrefixes)
      if (zi.raw.prefixes[k].value == p.prefix) seg = p.seg;
  return seg;
}

unsigned size_index(unsigned bytes) {
  switch (bytes) {
    case 1: return 0;
    case 2: return 1;
    case 4: return 2;
    default: return 3;
  }
}

}  // namespace

bool Decoder::decode(const u8* bytes, unsigned avail, unsigned code_size, Insn& out) {
  ZydisDecodedInstruction zi;
  ZydisDecodedOperand zo[ZYDIS_MAX_OPERAND_COUNT];
  ZydisDecoder* d = code_size == 8 ? &dec64_ : code_size == 4 ? &dec32_ : &dec16_;
  ZyanStatus st = ZydisDecoderDecodeFull(d, bytes, avail, &zi, zo);
  out = Insn{};
  if (st == ZYDIS_STATUS_NO_MORE_DATA && avail < ZYDIS_MAX_INSTRUCTION_LENGTH) return false;
  if (!ZYAN_SUCCESS(st)) {
    // More than 15 bytes (prefixes included) is #GP(0), anything else
    // undecodable is #UD (SDM Vol. 2 §2.3.11).
    out.fn = st == ZYDIS_STATUS_INSTRUCTION_TOO_LONG ? &handler_too_long : &handler_invalid_opcode;
    out.len = 1;
    out.attrs = attr::kEndsBlock;
    keep_raw_bytes(out, bytes, avail);
    return true;
  }
  if (!isa_supported(zi.meta.isa_ext, zi.meta.isa_set)) {
    // A valid encoding from an extension this CPU model does not have.
    out.fn = &handler_invalid_opcode;
    out.len = zi.length;
    out.mnemonic = u16(zi.mnemonic);
    out.attrs = attr::kEndsBlock;
    keep_raw_bytes(out, bytes, zi.length);
    return true;
  }
  out.len = zi.length;
  out.mnemonic = u16(zi.mnemonic);
  out.opsize = u8(zi.operand_width / 8);
  out.asize = u8(zi.address_width / 8);
  out.lock = zi.attributes & ZYDIS_ATTRIB_HAS_LOCK;
  if (zi.attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE)) out.rep = 1;
  if (zi.attributes & ZYDIS_ATTRIB_HAS_REPNE) out.rep = 2;
  out.cc = zi.opcode & 0xf;
  out.far_branch = zi.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR;

  unsigned nimm = 0;
  bool mem_filled = false, any_mem = false;
  out.nops = zi.operand_count_visible;
  for (unsigned n = 0; n < zi.operand_count; ++n) {
    const ZydisDecodedOperand& op = zo[n];
    bool visible = n < zi.operand_count_visible;
    if (op.type == ZYDIS_OPERAND_TYPE_MEMORY && op.mem.type != ZYDIS_MEMOP_TYPE_MIB) {
      any_mem = true;
      // The instruction's memory operand: the explicit one; for string
      // instructions and XLAT the DS:rSI / DS:rBX source, whose segment
      // may be overridden (ES:rDI cannot; stack operands are rSP-based).
      if (op.visibility == ZYDIS_OPERAND_VISIBILITY_EXPLICIT || is_string_source_base(op.mem.base)) {
        fill_memref(op, out);
        mem_filled = true;
      } else if (!mem_filled && op.mem.base != ZYDIS_REGISTER_RSP && op.mem.base != ZYDIS_REGISTER_ESP &&
                 op.mem.base != ZYDIS_REGISTER_SP) {
        fill_memref(op, out);
      }
    }
    if (!visible || n >= 4) continue;
    Operand& o = out.op[n];
    switch (op.type) {
      case ZYDIS_OPERAND_TYPE_REGISTER: o = map_register(op.reg.value, op.size); break;
      case ZYDIS_OPERAND_TYPE_MEMORY:
        o.kind = OpKind::Mem;
        o.size = u8(op.size / 8);
        break;
      case ZYDIS_OPERAND_TYPE_IMMEDIATE:
        o.size = u8(op.size / 8);
        if (op.imm.is_relative) {
          o.kind = OpKind::Rel;
          out.imm = u64(op.imm.value.s);
        } else {
          o.kind = OpKind::Imm;
          (nimm++ == 0 ? out.imm : out.imm2) = op.imm.value.u;
        }
        break;
      case ZYDIS_OPERAND_TYPE_POINTER:
        o.kind = OpKind::FarPtr;
        out.imm = op.ptr.offset;
        out.imm2 = op.ptr.segment;
        break;
      default: break;
    }
  }

  // An address held in a register with no memory operand in Zydis' view
  // (MONITOR's DS:rAX) still takes a segment override prefix.
  if (!any_mem) out.mem.seg = override_segment(zi);

  // x87 escape opcodes: the FOP the x87 records (SDM Vol. 1 §8.1.9): the low
  // three bits of the first opcode byte, then the ModR/M byte.
  if (zi.opcode_map == ZYDIS_OPCODE_MAP_DEFAULT && zi.opcode >= 0xd8 && zi.opcode <= 0xdf)
    out.imm2 = u64((zi.opcode & 7) << 8 | zi.raw.modrm.mod << 6 | zi.raw.modrm.reg << 3 | zi.raw.modrm.rm);
  // Forms with an MMX register have rows of their own (cpu/handlers/mmx_*.cpp):
  // the SSE rows of the same mnemonics handle XMM operands only.
  bool mmx_form = false;
  for (unsigned n = 0; n < out.nops && n < 4; ++n) mmx_form |= out.op[n].kind == OpKind::Mmx;
  const InsnRow* row = mmx_form ? find_mmx_row(out.mnemonic) : find_insn_row(out.mnemonic);
  Handler h = nullptr;
  if (row) {
    out.attrs = row->attrs;
    if (row->select) {
      h = row->select(out).fn;
    } else {
      unsigned size = out.opsize;
      if (row->size_from == SizeFrom::Op0 && out.nops > 0 && out.op[0].size) size = out.op[0].size;
      if (row->size_from == SizeFrom::Op1 && out.nops > 1 && out.op[1].size) size = out.op[1].size;
      h = row->handlers.by_size[size_index(size)].fn;
    }
  }
  if (!h) {
    unimplemented_.insert(out.mnemonic);
    out.fn = &handler_invalid_opcode;
    out.attrs = attr::kEndsBlock | attr::kUnimplemented;
    keep_raw_bytes(out, bytes, zi.length);
    return true;
  }
  // LOCK is only valid on lockable instructions with a memory destination
  // (SDM Vol. 2 "LOCK"): anything else is #UD. Zydis already rejects most.
  if (out.lock && (!(out.attrs & attr::kLockable) || out.op[0].kind != OpKind::Mem)) {
    out.fn = &handler_invalid_opcode;
    out.attrs = attr::kEndsBlock;
    keep_raw_bytes(out, bytes, zi.length);
    return true;
  }
  out.fn = h;
  return true;
}

}  // namespace vtlab
