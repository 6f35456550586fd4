/* smc: self-modifying code. Each test patches code, runs it, prints what it
 * returned and checks it against what the patch should give. Exits 0 when
 * every check passed. See patch_sites.S for the code being patched. */
#include <stdbool.h>
#include <stdint.h>

#include "runtime/boot.h"
#include "runtime/kprintf.h"

extern uint32_t smc_imm_func(void);
extern volatile uint8_t smc_imm_field[4];
extern uint32_t smc_alu_func(uint32_t a, uint32_t b);
extern volatile uint8_t smc_alu_opcode[1];
extern uint32_t smc_next_insn_func(uint32_t v);
extern uint32_t smc_loop_func(void);
extern volatile uint8_t smc_loop_imm[1];

enum { PATCH_LOOP_COUNT = 10000 };

static int checks, passed;

static void check(bool ok) {
  checks++;
  passed += ok;
  if (!ok) kprintf("  MISMATCH\n");
}

static void set_u32(volatile uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void test_immediate(void) {
  kprintf("smc: patch an immediate\n");
  for (uint32_t i = 0; i < 8; i++) {
    uint32_t v = 0x01010101u * i + 0x10000000u * (i & 1);
    set_u32(smc_imm_field, v);
    uint32_t got = smc_imm_func();
    kprintf("  imm=0x%08x returns 0x%08x\n", v, got);
    check(got == v);
  }
  /* Many patch/call pairs: each call must see the latest patch. */
  uint64_t sum = 0, expect = 0;
  for (uint32_t i = 0; i < PATCH_LOOP_COUNT; i++) {
    uint32_t v = i * 2654435761u;
    set_u32(smc_imm_field, v);
    sum += smc_imm_func();
    expect += v;
  }
  kprintf("  %u patch+call pairs: sum 0x%lx\n", PATCH_LOOP_COUNT, sum);
  check(sum == expect);
}

static void test_opcode(void) {
  static const struct {
    const char *name;
    uint8_t opcode;
    uint32_t expect;
  } ops[] = {{"add", 0x01, 107}, {"sub", 0x29, 93}, {"xor", 0x31, 99}, {"and", 0x21, 4}, {"or", 0x09, 103}};
  kprintf("smc: patch an opcode, f(100, 7)\n");
  for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    smc_alu_opcode[0] = ops[i].opcode;
    uint32_t got = smc_alu_func(100, 7);
    kprintf("  %-3s returns %u\n", ops[i].name, got);
    check(got == ops[i].expect);
  }
  smc_alu_opcode[0] = 0x01;
}

static void test_next_instruction(void) {
  kprintf("smc: store into the next instruction\n");
  static const uint32_t values[] = {0x12345678, 0xdeadbeef, 0, 42};
  for (unsigned i = 0; i < sizeof values / sizeof values[0]; i++) {
    uint32_t got = smc_next_insn_func(values[i]);
    kprintf("  stored 0x%08x returns 0x%08x\n", values[i], got);
    check(got == values[i]);
  }
}

static void test_loop_patching_itself(void) {
  kprintf("smc: loop body patches itself\n");
  for (int run = 0; run < 2; run++) {
    smc_loop_imm[0] = 1;
    uint32_t got = smc_loop_func();
    kprintf("  run %d returns %u\n", run, got);
    check(got == 36);
  }
}

/* Code written into a page that was only data before: mov $imm32, %eax; ret */
static uint8_t generated_code[4096] __attribute__((aligned(4096)));

static void test_generated_code(void) {
  kprintf("smc: generated code in a data buffer\n");
  volatile uint8_t *p = generated_code;
  uint32_t (*fn)(void) = (uint32_t(*)(void))(uintptr_t)generated_code;
  for (uint32_t i = 0; i < 4; i++) {
    uint32_t v = 0xc0de0000u + i;
    p[0] = 0xb8;
    set_u32(p + 1, v);
    p[5] = 0xc3;
    uint32_t got = fn();
    kprintf("  mov $0x%08x returns 0x%08x\n", v, got);
    check(got == v);
  }
}

int kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  test_immediate();
  test_opcode();
  test_next_instruction();
  test_loop_patching_itself();
  test_generated_code();
  kprintf("smc: %d of %d checks passed\n", passed, checks);
  return passed == checks ? 0 : 1;
}
