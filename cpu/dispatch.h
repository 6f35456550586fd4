// Threaded dispatch (DESIGN: handler dispatch without per-instruction
// decoding). The tables store `chained<H>` instead of H: it runs H, retires
// the instruction, and jumps straight to the next record's handler. Every
// handler thus has its own indirect jump, which the host's branch predictor
// learns per handler — the "handler chaining" of fast interpreters. A plain
// (unwrapped) handler still works: Cpu::execute_block then advances itself.
#pragma once
#include "cpu/cpu.h"
#include "cpu/insn_table.h"

namespace vtlab {

template <Handler H>
void chained(Cpu& c, const Insn& i) {
  H(c, i);
  c.rip = c.next_rip;
  const Insn* n = &i + 1;
  c.exec.cur = n;
  if (n == c.exec.end || c.block_must_end()) return;
  c.next_rip = c.rip + n->len;
  return n->fn(c, *n);  // a sibling call: no stack growth at -O2
}

}  // namespace vtlab

#define VTLAB_H(...) (::vtlab::ChainedHandler{&::vtlab::chained<&__VA_ARGS__>})
