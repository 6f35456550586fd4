#include "core/machine/code_peek.h"

#include "core/base/disasm.h"

namespace vtlab {

std::vector<u8> peek_code(Cpu& cpu, u64 rip, unsigned code_size, unsigned max_bytes) {
  std::vector<u8> bytes;
  // 64-bit mode ignores the CS base (SDM Vol. 3A §3.4.4); elsewhere linear
  // addresses are 32 bits wide.
  u64 lin = code_size == 8 ? rip : u32(cpu.seg[CS].base + (code_size == 2 ? u16(rip) : u32(rip)));
  while (bytes.size() < max_bytes) {
    u32 pf_error = 0;
    const u64 pa = cpu.translate(lin, Access::Exec, cpu.cpl == 3, nullptr, &pf_error);
    if (pa == ~u64(0)) break;
    const u8* host = cpu.mem().ram_ptr(pa);
    if (!host) break;
    const u64 in_page = std::min<u64>(max_bytes - bytes.size(), 0x1000 - (pa & 0xfff));
    bytes.insert(bytes.end(), host, host + in_page);
    lin = code_size == 8 ? lin + in_page : u32(lin + in_page);
  }
  return bytes;
}

std::string describe_code_at(Cpu& cpu, u64 rip, unsigned code_size) {
  return describe_instruction(peek_code(cpu, rip, code_size), code_size, rip);
}

}  // namespace vtlab
