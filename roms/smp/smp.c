/* smp: the APICs, the HPET and the application processors as an OS brings
 * them up. On the bootstrap processor:
 * - counts the vCPUs (fw_cfg), starts each AP with INIT, start-up IPI,
 *   start-up IPI (trampoline at 0x8000, ap_boot.S); each AP says hello on
 *   COM1 in APIC ID order;
 * - IPIs between vCPUs: fixed to each AP (which answers with an IPI back),
 *   broadcast without self, logical (flat model), lowest priority, NMI;
 *   self IPIs taken in priority order, TPR and CR8;
 * - the local APIC timer on every vCPU (periodic, 1 ms) and TSC-deadline on
 *   the BSP, timed against the TSC;
 * - the IOAPIC: the PIT's IRQ 0 on GSI 2 to the last vCPU, the HPET in
 *   legacy replacement mode on the same input, an HPET timer
 *   level-triggered on GSI 20 (remote IRR and the EOI broadcast);
 * - x2APIC mode on the BSP: MSR access, SELF IPI, #GP on reserved MSRs.
 * The output depends on the vCPU count only, never on how the vCPUs
 * interleave, so every run of it is the same. Exits 0 if all passed. */
#include <stdbool.h>
#include <stdint.h>

#include "runtime/exit.h"
#include "runtime/idt64.h"
#include "runtime/io.h"
#include "runtime/kprintf.h"
#include "runtime/kstring.h"

/* ---- platform ---- */
enum { LAPIC_BASE = 0xfee00000u, IOAPIC_BASE = 0xfec00000u, HPET_BASE = 0xfed00000u };
#ifndef INIT_DELAY_US
#define INIT_DELAY_US 10 /* Linux's for modern processors; the MP specification says 10 ms */
#endif
enum { TRAMP_BASE = 0x8000, SIPI_VECTOR = TRAMP_BASE >> 12, MAX_CPUS = 16 };
enum { FW_CFG_SEL = 0x510, FW_CFG_DATA = 0x511, FW_CFG_NB_CPUS = 0x05 };
enum { PIC1 = 0x20, PIC2 = 0xa0, PIT_CH0 = 0x40, PIT_CMD = 0x43 };

/* Local APIC registers (xAPIC offsets). */
enum {
  APIC_ID = 0x20,
  APIC_VERSION = 0x30,
  APIC_TPR = 0x80,
  APIC_PPR = 0xa0,
  APIC_EOI = 0xb0,
  APIC_LDR = 0xd0,
  APIC_DFR = 0xe0,
  APIC_SVR = 0xf0,
  APIC_IRR = 0x200,
  APIC_ESR = 0x280,
  APIC_ICR_LO = 0x300,
  APIC_ICR_HI = 0x310,
  APIC_LVT_TIMER = 0x320,
  APIC_LVT_LINT0 = 0x350,
  APIC_TIMER_INIT = 0x380,
  APIC_TIMER_CUR = 0x390,
  APIC_TIMER_DIV = 0x3e0,
};
enum {
  ICR_FIXED = 0,
  ICR_LOWEST = 1 << 8,
  ICR_NMI = 4 << 8,
  ICR_INIT = 5 << 8,
  ICR_STARTUP = 6 << 8,
  ICR_LOGICAL = 1 << 11,
  ICR_BUSY = 1 << 12,
  ICR_ASSERT = 1 << 14,
  ICR_LEVEL = 1 << 15,
  ICR_SELF = 1 << 18,
  ICR_ALL = 2 << 18,
  ICR_ALL_BUT_SELF = 3 << 18,
};
enum { LVT_MASKED = 1 << 16, LVT_PERIODIC = 1 << 17, LVT_TSC_DEADLINE = 2 << 17 };
enum { MSR_APIC_BASE = 0x1b, MSR_TSC_DEADLINE = 0x6e0, APIC_BASE_EXTD = 1 << 10 };

/* Vectors. */
enum {
  V_IPI = 0x40,
  V_REPLY = 0x41,
  V_BROADCAST = 0x42,
  V_LOGICAL = 0x43,
  V_LOWEST = 0x44,
  V_SELF = 0x45,
  V_PRIO_LOW = 0x55,
  V_PRIO_MID = 0x66,
  V_PRIO_HIGH = 0x77,
  V_CMD_TIMER = 0x78,
  V_CMD_TPR = 0x79,
  V_CMD_STOP = 0x7a,
  V_TIMER = 0x80,
  V_DEADLINE = 0x81,
  V_PIT = 0x90,
  V_HPET = 0x91,
  V_HPET_LEVEL = 0x92,
  V_SPURIOUS = 0xff,
};
enum { NMI_VECTOR = 2, GP_VECTOR = 13 };

/* ---- small helpers ---- */
static inline void pause(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline uint64_t rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (uint64_t)hi << 32 | lo;
}
static inline void cpuid(uint32_t leaf, uint32_t r[4]) {
  __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}
static inline uint64_t rdmsr(uint32_t msr) {
  uint32_t lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return (uint64_t)hi << 32 | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v) {
  __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}
static inline uint32_t lapic_read(uint32_t reg) { return *(volatile uint32_t *)(uintptr_t)(LAPIC_BASE + reg); }
static inline void lapic_write(uint32_t reg, uint32_t v) { *(volatile uint32_t *)(uintptr_t)(LAPIC_BASE + reg) = v; }
static inline uint32_t ioapic_read(uint8_t index) {
  *(volatile uint32_t *)(uintptr_t)IOAPIC_BASE = index;
  return *(volatile uint32_t *)(uintptr_t)(IOAPIC_BASE + 0x10);
}
static inline void ioapic_write(uint8_t index, uint32_t v) {
  *(volatile uint32_t *)(uintptr_t)IOAPIC_BASE = index;
  *(volatile uint32_t *)(uintptr_t)(IOAPIC_BASE + 0x10) = v;
}
static void ioapic_route(unsigned gsi, uint64_t entry) {
  ioapic_write((uint8_t)(0x11 + 2 * gsi), (uint32_t)(entry >> 32));
  ioapic_write((uint8_t)(0x10 + 2 * gsi), (uint32_t)entry);
}
static inline uint64_t hpet_read(uint32_t off) { return *(volatile uint64_t *)(uintptr_t)(HPET_BASE + off); }
static inline void hpet_write(uint32_t off, uint64_t v) { *(volatile uint64_t *)(uintptr_t)(HPET_BASE + off) = v; }
enum { HPET_CAP = 0x000, HPET_CONF = 0x010, HPET_STATUS = 0x020, HPET_COUNTER = 0x0f0 };
static uint32_t hpet_timer_conf(unsigned n) { return 0x100 + 0x20 * n; }
static uint32_t hpet_timer_cmp(unsigned n) { return 0x108 + 0x20 * n; }
enum { HPET_ENABLE = 1, HPET_LEGACY = 2, TN_LEVEL = 1 << 1, TN_ENABLE = 1 << 2, TN_PERIODIC = 1 << 3, TN_VAL_SET = 1 << 6 };

static unsigned cpu_count;
static uint64_t tsc_hz;
static unsigned failures;

static void check(bool ok, const char *what) {
  if (!ok) {
    kprintf("FAIL: %s\n", what);
    failures++;
  }
}

/* The BSP ends in x2APIC mode, where the registers are MSRs. */
static volatile bool x2apic_on;
static unsigned this_cpu(void) { return x2apic_on ? (unsigned)rdmsr(0x802) : lapic_read(APIC_ID) >> 24; }
static void eoi(void) {
  if (x2apic_on)
    wrmsr(0x80b, 0);
  else
    lapic_write(APIC_EOI, 0);
}

static void udelay(uint64_t us) {
  const uint64_t end = rdtsc() + us * (tsc_hz / 1000000);
  while (rdtsc() < end) pause();
}

/* Waits until *counter reaches `want` or `ms` milliseconds of TSC pass. */
static bool wait_for(volatile uint32_t *counter, uint32_t want, uint64_t ms) {
  const uint64_t end = rdtsc() + ms * (tsc_hz / 1000);
  while (*counter < want)
    if (rdtsc() > end) return false;
  return true;
}

static void send_ipi(unsigned dest, uint32_t icr) {
  while (lapic_read(APIC_ICR_LO) & ICR_BUSY) pause();
  lapic_write(APIC_ICR_HI, dest << 24);
  lapic_write(APIC_ICR_LO, icr);
}

/* Within `tolerance_us` of `want_us` of TSC time. */
static bool tsc_close(uint64_t delta, uint64_t want_us, uint64_t tolerance_us) {
  const uint64_t per_us = tsc_hz / 1000000;
  const uint64_t lo = (want_us - tolerance_us) * per_us, hi = (want_us + tolerance_us) * per_us;
  return delta >= lo && delta <= hi;
}

/* ---- the IDT: exceptions through the runtime, vectors 32-255 through vectors.S ---- */
struct idt_gate {
  uint16_t offset_low, selector;
  uint8_t ist, type_attr;
  uint16_t offset_mid;
  uint32_t offset_high, reserved;
};
extern const uint64_t isr64_stubs[32], vector_stubs[224];
static struct idt_gate idt[256] __attribute__((aligned(16)));

static void set_gate(int v, uint64_t a) {
  idt[v] = (struct idt_gate){(uint16_t)a, 0x08, 0, 0x8e, (uint16_t)(a >> 16), (uint32_t)(a >> 32), 0};
}

static void load_idt(void) {
  struct __attribute__((packed)) {
    uint16_t limit;
    uint64_t base;
  } p = {sizeof idt - 1, (uint64_t)(uintptr_t)idt};
  __asm__ volatile("lidt %0" : : "m"(p) : "memory");
}

/* ---- per-vCPU bookkeeping (indexed by APIC ID) ---- */
static volatile uint32_t ap_up[MAX_CPUS], ap_stopped[MAX_CPUS], print_turn;
static volatile uint32_t replied[MAX_CPUS], ipi_count[MAX_CPUS], broadcast_count[MAX_CPUS], logical_count[MAX_CPUS],
    lowest_count[MAX_CPUS], nmi_count[MAX_CPUS], timer_ticks[MAX_CPUS], stop_request[MAX_CPUS];
static volatile uint8_t wanted_tpr[MAX_CPUS];
static volatile uint64_t timer_tsc[MAX_CPUS][11];
static volatile uint32_t replies, self_count, spurious, deadline_hits, pit_ticks, hpet_ticks, hpet_level_hits;
static volatile uint64_t deadline_tsc, pit_tsc[21], hpet_counts[11];
static volatile uint8_t order[8];
static volatile unsigned order_len;
static volatile bool expect_gp, clear_hpet_status;
static volatile uint32_t gp_count;
enum { TIMER_PERIODS = 10, PIT_PERIODS = 20, HPET_PERIODS = 10 };

/* Exceptions: NMIs are counted; an expected #GP (a RDMSR/WRMSR, 2 bytes)
 * is skipped; anything else ends the run. */
static void on_trap(struct trap_frame *f) {
  if (f->vector == NMI_VECTOR) {
    nmi_count[this_cpu()]++;
    return;
  }
  if (f->vector == GP_VECTOR && expect_gp) {
    gp_count++;
    f->rip += 2;
    return;
  }
  kprintf("unexpected exception on APIC %u: ", this_cpu());
  trap_print(f);
  kprintf("\n");
  exit_qemu(0x7e);
}

static void start_own_timer(void) {
  lapic_write(APIC_TIMER_DIV, 0xb); /* divide by 1: the crystal clock */
  lapic_write(APIC_LVT_TIMER, LVT_PERIODIC | V_TIMER);
  uint32_t r[4];
  cpuid(0x15, r);
  lapic_write(APIC_TIMER_INIT, r[2] / 1000); /* 1 ms of the crystal (CPUID 15H ECX) */
}

void apic_vector(uint64_t v);
void apic_vector(uint64_t v) {
  const unsigned me = this_cpu();
  switch (v) {
    case V_IPI:
      ipi_count[me]++;
      replied[me] = 1;
      send_ipi(0, ICR_FIXED | V_REPLY);
      break;
    case V_REPLY:
      replies++;
      break;
    case V_BROADCAST:
      broadcast_count[me]++;
      break;
    case V_LOGICAL:
      logical_count[me]++;
      break;
    case V_LOWEST:
      lowest_count[me]++;
      break;
    case V_SELF:
      self_count++;
      break;
    case V_PRIO_LOW:
    case V_PRIO_MID:
    case V_PRIO_HIGH:
      if (order_len < sizeof order) order[order_len++] = (uint8_t)v;
      break;
    case V_CMD_TIMER:
      start_own_timer();
      break;
    case V_CMD_TPR:
      lapic_write(APIC_TPR, wanted_tpr[me]);
      break;
    case V_CMD_STOP:
      stop_request[me] = 1;
      break;
    case V_TIMER: {
      const uint32_t n = timer_ticks[me];
      if (n <= TIMER_PERIODS) timer_tsc[me][n] = rdtsc();
      if (n == TIMER_PERIODS) lapic_write(APIC_TIMER_INIT, 0); /* stop */
      timer_ticks[me] = n + 1;
      break;
    }
    case V_DEADLINE:
      deadline_tsc = rdtsc();
      deadline_hits++;
      break;
    case V_PIT:
      if (pit_ticks <= PIT_PERIODS) pit_tsc[pit_ticks] = rdtsc();
      pit_ticks++;
      break;
    case V_HPET:
      if (hpet_ticks <= HPET_PERIODS) hpet_counts[hpet_ticks] = hpet_read(HPET_COUNTER);
      hpet_ticks++;
      break;
    case V_HPET_LEVEL:
      hpet_level_hits++;
      /* The first time the status stays set: the line stays asserted and
       * the IOAPIC sends again after the EOI. */
      if (clear_hpet_status) hpet_write(HPET_STATUS, 1u << 2);
      clear_hpet_status = true;
      break;
    case V_SPURIOUS:
      spurious++;
      return; /* no EOI for the spurious vector */
    default:
      kprintf("unexpected vector 0x%x on APIC %u\n", (unsigned)v, me);
      exit_qemu(1);
  }
  eoi();
}

/* ---- application processors ---- */

static void enable_lapic(unsigned id) {
  lapic_write(APIC_SVR, 0x100 | V_SPURIOUS);
  lapic_write(APIC_DFR, 0xffffffff);       /* flat model */
  lapic_write(APIC_LDR, (1u << id) << 24); /* one logical bit per vCPU */
  lapic_write(APIC_TPR, 0);
}

void ap_entry(uint32_t number);
void ap_entry(uint32_t number) {
  load_idt();
  const unsigned id = this_cpu();
  enable_lapic(id);
  ap_up[id] = 1;
  while (print_turn != id) pause();
  kprintf("AP %u: APIC ID %u up in long mode (AP number %u)\n", id, id, (unsigned)number);
  print_turn = id + 1;
  sti();
  while (!stop_request[id]) __asm__ volatile("hlt" ::: "memory");
  cli();
  ap_stopped[id] = 1;
  for (;;) __asm__ volatile("hlt");
}

extern const uint8_t ap_trampoline[], ap_trampoline_end[];
extern volatile uint32_t ap_counter;

static void start_aps(void) {
  memcpy((void *)(uintptr_t)TRAMP_BASE, ap_trampoline, (size_t)(ap_trampoline_end - ap_trampoline));
  ap_counter = 0;
  for (unsigned id = 1; id < cpu_count; id++) {
    lapic_write(APIC_ESR, 0);
    send_ipi(id, ICR_INIT | ICR_ASSERT | ICR_LEVEL);
    udelay(INIT_DELAY_US);
    send_ipi(id, ICR_STARTUP | SIPI_VECTOR);
    udelay(200);
    send_ipi(id, ICR_STARTUP | SIPI_VECTOR); /* ignored: the AP already runs */
    udelay(200);
    lapic_write(APIC_ESR, 0);
    check(lapic_read(APIC_ESR) == 0, "no APIC error while starting an AP");
    if (!wait_for(&ap_up[id], 1, 100)) {
      kprintf("AP %u did not start\n", id);
      exit_qemu(1);
    }
  }
  print_turn = 1;
  while (print_turn != cpu_count) pause();
  kprintf("all %u APs up: INIT, SIPI, SIPI (vector 0x%x)\n", cpu_count - 1, SIPI_VECTOR);
}

/* ---- IPIs ---- */

static void ipi_tests(void) {
  if (cpu_count == 1) {
    kprintf("IPIs between vCPUs: none (1 vCPU)\n");
  } else {
    /* The replies may merge in the BSP's IRR (one bit per vector): each AP
     * also leaves a flag. */
    for (unsigned id = 1; id < cpu_count; id++) send_ipi(id, ICR_FIXED | V_IPI);
    unsigned answered = 0;
    for (unsigned id = 1; id < cpu_count; id++) {
      check(wait_for(&replied[id], 1, 100), "every AP answered the fixed IPI");
      check(ipi_count[id] == 1, "one fixed IPI per AP");
      answered += replied[id];
    }
    check(wait_for(&replies, 1, 10), "the answers interrupted the BSP");
    kprintf("fixed IPI to each AP, an IPI back from each: %u APs answered\n", answered);

    send_ipi(0, ICR_ALL_BUT_SELF | V_BROADCAST);
    unsigned got = 0;
    for (unsigned id = 1; id < cpu_count; id++) {
      wait_for(&broadcast_count[id], 1, 100);
      got += broadcast_count[id];
    }
    check(broadcast_count[0] == 0 && got == cpu_count - 1, "all-excluding-self reaches every AP once");
    kprintf("broadcast without self: %u APs\n", got);

    /* Logical flat model: the odd APIC IDs. */
    uint32_t odd = 0;
    for (unsigned id = 1; id < cpu_count; id += 2) odd |= 1u << id;
    send_ipi(odd, ICR_LOGICAL | V_LOGICAL);
    udelay(100);
    for (unsigned id = 0; id < cpu_count; id++) check(logical_count[id] == ((odd >> id) & 1), "logical destination");
    kprintf("logical (flat) destination 0x%x: the odd APIC IDs\n", odd);

    /* Lowest priority among the APs: the last one has the lowest TPR. */
    uint32_t aps = 0;
    for (unsigned id = 1; id < cpu_count; id++) {
      aps |= 1u << id;
      wanted_tpr[id] = id == cpu_count - 1 ? 0x10 : 0x30;
      send_ipi(id, V_CMD_TPR);
    }
    udelay(100);
    send_ipi(aps, ICR_LOGICAL | ICR_LOWEST | V_LOWEST);
    udelay(100);
    for (unsigned id = 0; id < cpu_count; id++)
      check(lowest_count[id] == (id == cpu_count - 1), "lowest priority picks the lowest TPR");
    for (unsigned id = 1; id < cpu_count; id++) {
      wanted_tpr[id] = 0;
      send_ipi(id, V_CMD_TPR);
    }
    kprintf("lowest priority to APs 0x%x: APIC %u (TPR 0x10)\n", aps, cpu_count - 1);

    for (unsigned id = 1; id < cpu_count; id++) send_ipi(id, ICR_NMI);
    for (unsigned id = 1; id < cpu_count; id++) check(wait_for(&nmi_count[id], 1, 100), "NMI IPI taken");
    kprintf("NMI IPI to each AP: taken\n");
    lapic_write(APIC_ESR, 0);
    check(lapic_read(APIC_ESR) == 0, "no APIC error after the IPIs");
  }

  /* Self IPIs while IF = 0, then taken highest priority class first. */
  cli();
  send_ipi(0, ICR_SELF | V_PRIO_LOW);
  send_ipi(0, ICR_SELF | V_PRIO_HIGH);
  send_ipi(0, ICR_SELF | V_PRIO_MID);
  check((lapic_read(APIC_IRR + 0x10 * (V_PRIO_HIGH / 32)) >> (V_PRIO_HIGH % 32)) & 1, "self IPI pending in IRR");
  sti();
  udelay(10);
  check(order_len == 3 && order[0] == V_PRIO_HIGH && order[1] == V_PRIO_MID && order[2] == V_PRIO_LOW,
        "priority order");
  kprintf("self IPIs 0x%x 0x%x 0x%x taken as 0x%x 0x%x 0x%x\n", V_PRIO_LOW, V_PRIO_HIGH, V_PRIO_MID, order[0], order[1],
          order[2]);

  /* TPR holds back a class; CR8 is TPR[7:4]. */
  lapic_write(APIC_TPR, 0x60);
  send_ipi(0, ICR_SELF | V_PRIO_LOW);
  udelay(10);
  check(order_len == 3, "TPR 0x60 holds back vector 0x55");
  uint64_t cr8;
  __asm__ volatile("mov %%cr8, %0" : "=r"(cr8));
  check(cr8 == 6, "CR8 reads TPR[7:4]");
  __asm__ volatile("mov %0, %%cr8" ::"r"((uint64_t)0) : "memory");
  udelay(10);
  check(order_len == 4 && order[3] == V_PRIO_LOW && lapic_read(APIC_TPR) == 0, "CR8 = 0 lets it through");
  kprintf("TPR 0x60 held vector 0x%x back until CR8 was written 0\n", V_PRIO_LOW);
}

/* ---- timers ---- */

static void timer_tests(void) {
  send_ipi(0, ICR_ALL | V_CMD_TIMER);
  for (unsigned id = 0; id < cpu_count; id++) {
    check(wait_for(&timer_ticks[id], TIMER_PERIODS + 1, 100), "APIC timer ticks");
    check(tsc_close(timer_tsc[id][TIMER_PERIODS] - timer_tsc[id][0], TIMER_PERIODS * 1000, 100),
          "APIC timer period 1 ms against the TSC");
  }
  kprintf("APIC timer, periodic, 1 ms of the CPUID 15H crystal: %u periods on each of %u vCPUs\n", TIMER_PERIODS,
          cpu_count);

  uint32_t r[4];
  cpuid(1, r);
  check((r[2] >> 24) & 1, "CPUID reports TSC-deadline");
  lapic_write(APIC_LVT_TIMER, LVT_TSC_DEADLINE | V_DEADLINE);
  const uint64_t deadline = rdtsc() + 500 * (tsc_hz / 1000000);
  wrmsr(MSR_TSC_DEADLINE, deadline);
  check(rdmsr(MSR_TSC_DEADLINE) == deadline, "IA32_TSC_DEADLINE reads back while armed");
  check(wait_for(&deadline_hits, 1, 10), "TSC-deadline interrupt");
  check(deadline_tsc >= deadline && deadline_tsc - deadline < 100 * (tsc_hz / 1000000), "TSC-deadline on time");
  check(rdmsr(MSR_TSC_DEADLINE) == 0, "IA32_TSC_DEADLINE is 0 once it fired");
  lapic_write(APIC_LVT_TIMER, LVT_MASKED);
  kprintf("TSC-deadline timer: fired at the deadline, then read 0\n");
}

/* ---- IOAPIC and HPET ---- */

static void ioapic_tests(void) {
  const uint32_t version = ioapic_read(1);
  check((version & 0xff) == 0x11 && ((version >> 16) & 0xff) == 23, "IOAPIC version 11H, 24 inputs");
  check((ioapic_read(0) >> 24) == cpu_count, "IOAPIC ID after the APIC IDs, as the MADT says");
  kprintf("IOAPIC: ID %u, version 0x%x, %u inputs\n", ioapic_read(0) >> 24, version & 0xff,
          ((version >> 16) & 0xff) + 1);

  /* Symmetric I/O mode: the 8259 pair (masked since kmain) off LINT0 too. */
  lapic_write(APIC_LVT_LINT0, LVT_MASKED);

  const unsigned target = cpu_count - 1;
  ioapic_route(2, (uint64_t)target << 56 | V_PIT); /* ISA IRQ 0 is GSI 2 (MADT override) */
  outb(PIT_CMD, 0x34);                             /* counter 0, LSB/MSB, mode 2 */
  outb(PIT_CH0, 1193 & 0xff), outb(PIT_CH0, 1193 >> 8);
  check(wait_for(&pit_ticks, PIT_PERIODS + 1, 200), "PIT interrupts through the IOAPIC");
  ioapic_route(2, 1u << 16);
  outb(PIT_CMD, 0x30); /* mode 0, no count: stops */
  /* 20 periods of 1193 PIT clocks: 19996 us. */
  check(tsc_close(pit_tsc[PIT_PERIODS] - pit_tsc[0], 19996, 100), "PIT period through the IOAPIC");
  kprintf("IOAPIC: PIT IRQ 0 -> GSI 2 -> APIC %u: %u periods of 1193 PIT clocks\n", target, PIT_PERIODS);

  const uint64_t cap = hpet_read(HPET_CAP);
  check((uint32_t)cap == 0x8086a201 && (cap >> 32) == 10000000, "HPET ID and 10 ns period");
  kprintf("HPET: ID 0x%x, %u timers, %u fs per count\n", (uint32_t)cap, (unsigned)((cap >> 8) & 0x1f) + 1,
          (uint32_t)(cap >> 32));
  /* Legacy replacement: timer 0 on IRQ 0, so GSI 2 again, to the BSP. */
  ioapic_route(2, V_HPET);
  hpet_write(hpet_timer_conf(0), TN_ENABLE | TN_PERIODIC | TN_VAL_SET);
  hpet_write(hpet_timer_cmp(0), 100000); /* first match at 1 ms */
  hpet_write(hpet_timer_cmp(0), 100000); /* period 1 ms */
  hpet_write(HPET_COUNTER, 0);
  hpet_write(HPET_CONF, HPET_ENABLE | HPET_LEGACY);
  check(wait_for(&hpet_ticks, HPET_PERIODS + 1, 100), "HPET timer 0 interrupts in legacy replacement mode");
  hpet_write(HPET_CONF, 0);
  ioapic_route(2, 1u << 16);
  const uint64_t span = hpet_counts[HPET_PERIODS] - hpet_counts[0];
  check(span >= HPET_PERIODS * 100000 - 10000 && span <= HPET_PERIODS * 100000 + 10000, "HPET period 1 ms");
  kprintf("HPET legacy replacement: timer 0 -> IRQ 0 -> GSI 2: %u periods of 100000 counts\n", HPET_PERIODS);

  /* Timer 2, level triggered, on GSI 20 (Tn_INT_ROUTE_CAP bit 20). */
  check((hpet_read(hpet_timer_conf(2)) >> (32 + 20)) & 1, "HPET timer 2 may use GSI 20");
  ioapic_route(20, 1u << 15 | V_HPET_LEVEL); /* level, to the BSP */
  hpet_write(hpet_timer_conf(2), TN_LEVEL | TN_ENABLE | (20u << 9));
  hpet_write(hpet_timer_cmp(2), hpet_read(HPET_COUNTER) + 1000);
  hpet_write(HPET_CONF, HPET_ENABLE);
  check(wait_for(&hpet_level_hits, 2, 10), "HPET level interrupt");
  udelay(100);
  check(hpet_level_hits == 2, "a level interrupt comes again until its source is cleared");
  check((ioapic_read(0x10 + 2 * 20) & (1u << 14)) == 0, "remote IRR cleared by the EOI broadcast");
  hpet_write(HPET_CONF, 0);
  ioapic_route(20, 1u << 16);
  kprintf("HPET timer 2 level-triggered on GSI 20: taken %u times, until its status was cleared\n",
          (unsigned)hpet_level_hits);
}

/* ---- x2APIC on the BSP ---- */

static void x2apic_tests(void) {
  uint32_t r[4];
  cpuid(1, r);
  check((r[2] >> 21) & 1, "CPUID reports x2APIC");
  cli();
  wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EXTD);
  x2apic_on = true;
  sti();
  check(rdmsr(0x802) == 0, "x2APIC ID of the BSP");
  check((rdmsr(0x803) & 0xff) == 0x14, "x2APIC version");
  check(rdmsr(0x80d) == 1, "x2APIC logical ID: cluster 0, bit 0");
  check(*(volatile uint32_t *)(uintptr_t)(LAPIC_BASE + APIC_ID) == 0xffffffff, "no xAPIC page in x2APIC mode");
  const uint32_t before = self_count;
  wrmsr(0x83f, V_SELF); /* SELF IPI */
  udelay(10);
  check(self_count == before + 1, "SELF IPI");
  wrmsr(0x830, (uint64_t)0 << 32 | ICR_FIXED | V_SELF); /* the 64-bit ICR, to APIC ID 0 */
  udelay(10);
  check(self_count == before + 2, "x2APIC ICR");
  expect_gp = true;
  __asm__ volatile("rdmsr" ::"c"(0x80e) : "eax", "edx"); /* no DFR in x2APIC mode */
  __asm__ volatile("wrmsr" ::"c"(0x80b), "a"(1), "d"(0));  /* EOI takes only 0 */
  __asm__ volatile("wrmsr" ::"c"(0x802), "a"(0), "d"(0));  /* ID is read only */
  expect_gp = false;
  check(gp_count == 3, "#GP on reserved or read-only x2APIC registers");
  kprintf("x2APIC: ID 0 by MSR, SELF IPI and 64-bit ICR delivered, %u #GP as the SDM says\n", (unsigned)gp_count);
}

/* ---- main ---- */

int kmain(uint32_t magic, uint32_t info) {
  (void)magic, (void)info;
  idt64_install(on_trap);
  for (int v = 0; v < 32; v++) set_gate(v, isr64_stubs[v]);
  for (int v = 32; v < 256; v++) set_gate(v, vector_stubs[v - 32]);
  load_idt();
  /* The 8259 pair at vectors 20H-2FH, every line masked (firmware may have
   * left a timer running on IRQ 0 at a vector that is an exception's). */
  outb(PIC1, 0x11), outb(PIC1 + 1, 0x20), outb(PIC1 + 1, 4), outb(PIC1 + 1, 1), outb(PIC1 + 1, 0xff);
  outb(PIC2, 0x11), outb(PIC2 + 1, 0x28), outb(PIC2 + 1, 2), outb(PIC2 + 1, 1), outb(PIC2 + 1, 0xff);

  outw(FW_CFG_SEL, FW_CFG_NB_CPUS);
  cpu_count = inb(FW_CFG_DATA) | (unsigned)inb(FW_CFG_DATA) << 8;
  uint32_t r[4];
  cpuid(0x15, r);
  tsc_hz = r[0] ? (uint64_t)r[2] * r[1] / r[0] : 1000000000;
  if (cpu_count < 1 || cpu_count > MAX_CPUS) {
    kprintf("bad vCPU count %u\n", cpu_count);
    return 1;
  }
  cpuid(1, r);
  const uint64_t base = rdmsr(MSR_APIC_BASE);
  kprintf("smp: %u vCPUs; BSP APIC ID %u, IA32_APIC_BASE 0x%lx, version 0x%x\n", cpu_count, r[1] >> 24,
          (unsigned long)base, lapic_read(APIC_VERSION));
  check(this_cpu() == 0 && (base & 0x100), "the BSP is APIC ID 0 with IA32_APIC_BASE.BSP");
  enable_lapic(0);
  sti();

  start_aps();
  ipi_tests();
  timer_tests();
  ioapic_tests();
  for (unsigned id = 1; id < cpu_count; id++) send_ipi(id, V_CMD_STOP);
  for (unsigned id = 1; id < cpu_count; id++) check(wait_for(&ap_stopped[id], 1, 100), "AP stopped");
  x2apic_tests();
  check(spurious == 0, "no spurious interrupts");
  kprintf(failures ? "smp: %u checks FAILED\n" : "smp: all checks passed\n", failures);
  return failures ? 1 : 0;
}
