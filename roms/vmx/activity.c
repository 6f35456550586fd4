/* vmx-activity: guest activity states, INIT and SIPI in VMX operation on
 * two vCPUs (SDM Vol. 3C §24.8, §25.4.2, §26.2, §27.7.2, §28.1; Vol. 2
 * VMXOFF). Run with 2 vCPUs.
 *
 * The application processor is the hypervisor: the bootstrap processor
 * starts it (INIT, SIPI, SIPI with the smp ROM's trampoline, roms/smp/
 * ap_boot.S) and then drives it through a mailbox: "enter VMX operation",
 * "run this guest until its next VM exit", "ping", "VMXOFF". The BSP is
 * the rest of the platform: it sends the AP INITs, SIPIs, NMIs and fixed
 * IPIs through its local APIC, watches whether the AP's guest makes
 * progress (the guest counts in guest_counter) and checks the exits the AP
 * records. Only the BSP prints (PASS/FAIL/SKIP lines, roms/README.md
 * "vmx").
 *
 * The guest waiting states must cost nothing: on vtlab the vCPUs share
 * virtual time round-robin (docs/smp.md), so a parked AP leaves the BSP
 * all of it, which the BSP sees as a loop running twice as fast as while
 * the AP's guest spins. */
#include <stdbool.h>

#include "runtime/kprintf.h"
#include "runtime/kstring.h"
#include "vmx/lib/guest_idt.h"
#include "vmx/lib/trap.h"
#include "vmx/lib/vmx.h"
#include "vmx/lib/vtest.h"

/* ---- the platform ---- */
enum { LAPIC_BASE = 0xfee00000u, APIC_ID = 0x20, APIC_EOI = 0xb0, APIC_SVR = 0xf0 };
enum { APIC_ICR_LO = 0x300, APIC_ICR_HI = 0x310, ICR_BUSY = 1 << 12, ICR_ASSERT = 1 << 14, ICR_LEVEL = 1 << 15 };
enum { ICR_FIXED = 0, ICR_NMI = 4 << 8, ICR_INIT = 5 << 8, ICR_STARTUP = 6 << 8 };
enum { TRAMP_BASE = 0x8000, RESTART_BASE = 0x9000, RESTART_CS = 0x7ff0, AP = 1 };
enum { V_IRQ = 0x50, SIPI_A = 0x42, SIPI_B = 0x33, SIPI_IGNORED = 0x77 };
/* Waits, in TSC ticks: on vtlab one tick per instruction of virtual time,
 * and a vCPU's turn is 10,000 ticks. QUIET spans several of the AP's turns. */
enum { QUIET = 60000, TIMEOUT = 4000000, LOOP = 20000 };

static inline uint64_t rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (uint64_t)hi << 32 | lo;
}
static inline void pause(void) { __asm__ volatile("pause" ::: "memory"); }
static inline uint32_t lapic_read(uint32_t reg) { return *(volatile uint32_t *)(uintptr_t)(LAPIC_BASE + reg); }
static inline void lapic_write(uint32_t reg, uint32_t v) { *(volatile uint32_t *)(uintptr_t)(LAPIC_BASE + reg) = v; }
static void delay(uint64_t ticks) {
  const uint64_t end = rdtsc() + ticks;
  while (rdtsc() < end) pause();
}
static void send_ipi(unsigned dest, uint32_t icr) {
  while (lapic_read(APIC_ICR_LO) & ICR_BUSY) pause();
  lapic_write(APIC_ICR_HI, dest << 24);
  lapic_write(APIC_ICR_LO, icr);
}
static void send_init(void) { send_ipi(AP, ICR_INIT | ICR_ASSERT | ICR_LEVEL); }
static void send_sipi(uint8_t vector) { send_ipi(AP, ICR_STARTUP | vector); }
/* Waits until *v differs from `old`; false after TIMEOUT ticks. */
static bool wait_change(volatile uint32_t *v, uint32_t old) {
  const uint64_t end = rdtsc() + TIMEOUT;
  while (*v == old)
    if (rdtsc() > end) return false;
  return true;
}

/* ---- the mailbox ---- */
enum { CMD_NONE, CMD_VMXON, CMD_GUEST, CMD_PING, CMD_VMXOFF };
struct guest_req {
  uint32_t activity, pin, exit_ctls;
  uint64_t timer;
  bool guest_idt;
  bool nmi_to_bsp; /* after the exit, the AP sends the BSP an NMI */
};
static volatile int cmd;
static struct guest_req req;
static volatile uint32_t done, pongs, ap_up, ap_number, vmxoff_returned;
static volatile int ap_status;
/* What the AP recorded at its last VM exit. */
static volatile uint32_t x_status, x_reason, x_intr_info, x_activity;
static volatile uint64_t x_qual, x_rip, x_rax;
volatile uint64_t guest_counter; /* the guest's (activity_guest.S) */
extern char g_count[];

/* ---- the AP ---- */
static uint64_t vmcs;

static void run_guest(void) {
  vmcs_load_clear(vmcs);
  vmcs_setup64((uint64_t)(uintptr_t)g_count);
  vmw(PIN_CONTROLS, ctl_adjust(caps.pin, req.pin));
  vmw(EXIT_CONTROLS, vmr(EXIT_CONTROLS) | req.exit_ctls);
  if (req.pin & PIN_PREEMPT_TIMER) vmw(GUEST_PREEMPT_TIMER, req.timer);
  if (req.guest_idt) guest_idt_use();
  vmw(GUEST_ACTIVITY, req.activity);
  guest_counter = 0;
  struct vmx_exit e;
  x_status = (uint32_t)vmx_run(&e);
  x_reason = e.reason;
  x_qual = e.qual;
  x_intr_info = e.intr_info;
  x_rip = e.rip;
  x_rax = guest_regs.gpr[R_RAX];
  x_activity = e.status == VMX_OK ? (uint32_t)vmr(GUEST_ACTIVITY) : ~0u;
  if (e.reason == EXIT_EXTERNAL_INT) lapic_write(APIC_EOI, 0); /* acknowledged on exit */
  if (req.nmi_to_bsp) send_ipi(0, ICR_NMI);
}

static void ap_loop(void) {
  for (;;) {
    while (cmd == CMD_NONE) pause();
    switch (cmd) {
      case CMD_VMXON:
        ap_status = vmx_enable();
        if (ap_status == VMX_OK) vmcs = vmcs_alloc(0);
        break;
      case CMD_GUEST:
        run_guest();
        break;
      case CMD_PING:
        pongs++;
        break;
      case CMD_VMXOFF:
        ap_status = vmxoff();
        vmxoff_returned = 1; /* not reached with an INIT held: VMXOFF lets it in */
        break;
    }
    cmd = CMD_NONE;
    done++;
  }
}

void ap_entry(uint32_t number);
void ap_entry(uint32_t number) {
  trap_init();
  lapic_write(APIC_SVR, 0x1ff); /* software-enabled: it takes fixed IPIs */
  ap_number = number;
  ap_up++;
  ap_loop();
}

/* ---- the BSP's side ---- */
/* Inside a TEST body: marks it skipped and ends it (`continue` runs the
 * TEST loop's end, which prints the line). */
#define SKIP_TEST(why) \
  {                    \
    vt_skip(why);      \
    continue;          \
  }
static bool command(int c) {
  const uint32_t before = done;
  cmd = c;
  return wait_change(&done, before);
}
/* Starts a guest on the AP; returns the `done` count to wait on. */
static uint32_t start_guest(uint32_t activity, uint32_t pin, uint32_t exit_ctls) {
  req = (struct guest_req){activity, pin, exit_ctls, 0, false, false};
  const uint32_t before = done;
  cmd = CMD_GUEST;
  return before;
}
static void expect_exit_now(uint32_t before, uint32_t reason, uint32_t activity) {
  if (!wait_change(&done, before)) {
    vt_fail("no VM exit on the AP");
    return;
  }
  EXPECT_EQ("VMLAUNCH status", x_status, VMX_OK);
  if (x_reason != reason) vt_fail("exit reason %u (%s), want %u", x_reason, exit_reason_name(x_reason), reason);
  EXPECT_EQ("saved activity state", x_activity, activity);
}
/* The AP's guest did nothing for QUIET ticks: no exit, no instruction. */
static void expect_parked(uint32_t before) {
  delay(QUIET);
  EXPECT_EQ("VM exits while parked", done, before);
  EXPECT_EQ("guest instructions while parked", guest_counter, 0);
}
/* TSC ticks of a fixed loop on the BSP. */
static uint64_t loop_ticks(void) {
  const uint64_t t = rdtsc();
  for (volatile uint32_t i = 0; i < LOOP; i = i + 1) {
  }
  return rdtsc() - t;
}

extern const uint8_t ap_trampoline[], ap_trampoline_end[], restart_stub[], restart_stub_end[];
extern volatile uint32_t ap_counter;

static bool start_ap(void) {
  memcpy((void *)(uintptr_t)TRAMP_BASE, ap_trampoline, (size_t)(ap_trampoline_end - ap_trampoline));
  ap_counter = 0;
  send_init();
  delay(1000);
  send_sipi(TRAMP_BASE >> 12);
  delay(1000);
  send_sipi(TRAMP_BASE >> 12); /* ignored: the AP runs */
  return wait_change(&ap_up, 0);
}

static uint64_t busy_ticks; /* the loop while the AP's guest spins */

static void test_hlt(void) {
  TEST("hlt", "a guest entered in HLT waits; a fixed IPI exits (1, acknowledged), saving HLT") {
    const uint32_t before =
        start_guest(ACTIVITY_HLT, PIN_EXT_INT_EXITING, ctl_allowed1(caps.exit, EXIT_ACK_INT) ? EXIT_ACK_INT : 0);
    expect_parked(before);
    send_ipi(AP, ICR_FIXED | V_IRQ);
    expect_exit_now(before, EXIT_EXTERNAL_INT, ACTIVITY_HLT);
    EXPECT_EQ("acknowledged vector", x_intr_info, INTR_VALID | INTR_TYPE_EXT_INT | V_IRQ);
    EXPECT_EQ("guest instructions", guest_counter, 0);
  }
}

static void test_wait_for_sipi(void) {
  TEST("wait-for-sipi", "a guest entered in wait-for-SIPI runs nothing until a SIPI: exit 4, its vector, state saved") {
    const uint32_t before = start_guest(ACTIVITY_WAIT_SIPI, 0, 0);
    expect_parked(before);
    send_sipi(SIPI_A);
    expect_exit_now(before, EXIT_SIPI, ACTIVITY_WAIT_SIPI);
    EXPECT_EQ("exit qualification (the SIPI vector)", x_qual, SIPI_A);
    EXPECT_EQ("guest RIP", x_rip, (uint64_t)(uintptr_t)g_count);
    send_sipi(SIPI_IGNORED); /* the AP is in root operation: discarded */
    EXPECT(command(CMD_PING), "the AP runs on after a SIPI in root operation");
  }
  TEST("wait-for-sipi-init", "INIT is blocked in wait-for-SIPI (no exit); held, it exits right after the next entry") {
    uint32_t before = start_guest(ACTIVITY_WAIT_SIPI, 0, 0);
    delay(QUIET / 2);
    send_init();
    expect_parked(before);
    send_sipi(SIPI_B);
    expect_exit_now(before, EXIT_SIPI, ACTIVITY_WAIT_SIPI);
    EXPECT_EQ("exit qualification (the SIPI vector)", x_qual, SIPI_B);
    before = start_guest(ACTIVITY_ACTIVE, 0, 0);
    expect_exit_now(before, EXIT_INIT, ACTIVITY_ACTIVE);
    EXPECT_EQ("guest instructions before the INIT exit", guest_counter, 0);
    EXPECT_EQ("guest RIP", x_rip, (uint64_t)(uintptr_t)g_count);
  }
}

static void test_active(void) {
  TEST("active-sipi-init", "an active guest runs; a SIPI to it is discarded; an INIT exits (3), saving active") {
    const uint32_t before = start_guest(ACTIVITY_ACTIVE, 0, 0);
    delay(QUIET);
    busy_ticks = loop_ticks();
    const uint64_t counted = guest_counter;
    EXPECT(counted > 0, "the guest runs");
    send_sipi(SIPI_IGNORED);
    delay(QUIET);
    EXPECT_EQ("VM exits after the SIPI", done, before);
    EXPECT(guest_counter > counted, "the guest runs on after the SIPI");
    send_init();
    expect_exit_now(before, EXIT_INIT, ACTIVITY_ACTIVE);
  }
}

static void test_shutdown(void) {
  TEST("shutdown", "a guest entered in shutdown is parked (no instruction, no time) until INIT: exit 3, state saved") {
    const uint32_t before = start_guest(ACTIVITY_SHUTDOWN, 0, 0);
    expect_parked(before);
    const uint64_t parked_ticks = loop_ticks();
    /* The BSP alone: about half the ticks it took beside a spinning guest. */
    if (parked_ticks * 3 >= busy_ticks * 2)
      vt_fail("the BSP's loop took %lu ticks beside the parked AP, %lu beside a running one",
              (unsigned long)parked_ticks, (unsigned long)busy_ticks);
    send_init();
    expect_exit_now(before, EXIT_INIT, ACTIVITY_SHUTDOWN);
    EXPECT_EQ("guest RIP", x_rip, (uint64_t)(uintptr_t)g_count);
    EXPECT_EQ("guest instructions", guest_counter, 0);
  }
  TEST("shutdown-timer", "the VMX-preemption timer wakes shutdown: exit 52, state saved") {
    if (!ctl_allowed1(caps.pin, PIN_PREEMPT_TIMER)) SKIP_TEST("no VMX-preemption timer");
    req = (struct guest_req){ACTIVITY_SHUTDOWN, PIN_PREEMPT_TIMER, 0, 200, false, false};
    const uint32_t before = done;
    cmd = CMD_GUEST;
    expect_exit_now(before, EXIT_PREEMPT_TIMER, ACTIVITY_SHUTDOWN);
    EXPECT_EQ("guest instructions", guest_counter, 0);
  }
  TEST("shutdown-idle",
       "BSP in CLI; HLT, AP's guest in shutdown: time jumps to the AP's timer, whose exit wakes the BSP") {
    if (!ctl_allowed1(caps.pin, PIN_PREEMPT_TIMER)) SKIP_TEST("no VMX-preemption timer");
    /* 20,000 timer ticks: 640,000 TSC ticks at vtlab's rate (MISC[4:0] = 5). */
    req = (struct guest_req){ACTIVITY_SHUTDOWN, PIN_PREEMPT_TIMER, 0, 20000, false, true};
    const uint32_t before = done;
    cmd = CMD_GUEST;
    expect_parked(before);
    const uint64_t t = rdtsc();
    EXPECT_EQ("what woke the BSP's HLT (the AP's NMI)", TRAP_CATCH("cli\n\thlt"), 2);
    const uint64_t slept = rdtsc() - t;
    expect_exit_now(before, EXIT_PREEMPT_TIMER, ACTIVITY_SHUTDOWN);
    EXPECT(slept > (20000ull << VMX_MISC_TIMER_RATE(caps.misc)) / 2, "the BSP slept until the AP's timer expired");
  }
  TEST("shutdown-nmi", "an NMI to a guest in shutdown exits with NMI exiting (0, NMI), state saved") {
    const uint32_t before = start_guest(ACTIVITY_SHUTDOWN, PIN_NMI_EXITING, 0);
    expect_parked(before);
    send_ipi(AP, ICR_NMI);
    expect_exit_now(before, EXIT_EXCEPTION_NMI, ACTIVITY_SHUTDOWN);
    EXPECT_EQ("interruption information", x_intr_info, INTR_VALID | INTR_TYPE_NMI | 2);
  }
  TEST("shutdown-nmi-wake", "without NMI exiting an NMI wakes shutdown through the guest IDT: active again") {
    req = (struct guest_req){ACTIVITY_SHUTDOWN, 0, 0, 0, true, false};
    const uint32_t before = done;
    cmd = CMD_GUEST;
    expect_parked(before);
    send_ipi(AP, ICR_NMI);
    expect_exit_now(before, EXIT_VMCALL, ACTIVITY_ACTIVE);
    EXPECT_EQ("vector the guest's handler saw", x_rax, 2);
  }
}

static void test_init_in_root(void) {
  TEST("init-root", "INIT to the AP in root operation is held; VMXOFF lets it in: wait-for-SIPI, then a new vector") {
    const uint32_t pings = pongs;
    send_init();
    EXPECT(command(CMD_PING), "the AP runs on: the INIT is blocked in root operation");
    EXPECT_EQ("pings answered", pongs, pings + 1);
    const uint32_t before = done;
    cmd = CMD_VMXOFF;
    delay(QUIET);
    EXPECT_EQ("instructions after VMXOFF", vmxoff_returned, 0);
    EXPECT_EQ("commands done", done, before);
    memcpy((void *)(uintptr_t)RESTART_BASE, restart_stub, (size_t)(restart_stub_end - restart_stub));
    *(volatile uint16_t *)(uintptr_t)RESTART_CS = 0;
    cmd = CMD_NONE;
    send_sipi(RESTART_BASE >> 12);
    if (!wait_change(&ap_up, 1)) {
      vt_fail("the AP did not start again");
    } else {
      EXPECT_EQ("CS at the start", *(volatile uint16_t *)(uintptr_t)RESTART_CS, RESTART_BASE >> 4);
      EXPECT_EQ("AP number (its second start)", ap_number, 1);
      EXPECT(command(CMD_PING), "the restarted AP answers");
    }
  }
}

int kmain(uint32_t magic, uint32_t info);
int kmain(uint32_t magic, uint32_t info) {
  vt_init(magic, info);
  trap_init();
  TEST("ap-vmxon", "the AP starts (INIT, SIPI, SIPI) and enters VMX operation") {
    if (!vmx_supported()) {
      vt_fail("the CPU does not report VMX");
    } else if (!start_ap()) {
      vt_fail("the AP did not start (this ROM needs 2 vCPUs)");
    } else if (!command(CMD_VMXON) || ap_status != VMX_OK) {
      vt_fail("VMXON on the AP: %d", ap_status);
    } else {
      EXPECT(command(CMD_PING), "the AP answers a ping");
    }
  }
  if (vt_failed()) return vt_finish("vmx-activity");
  TEST("misc", "IA32_VMX_MISC reports the activity states HLT, shutdown and wait-for-SIPI (bits 6-8)") {
    EXPECT_EQ("IA32_VMX_MISC[8:6]", (caps.misc >> 6) & 7, 7);
  }
  test_hlt();
  test_wait_for_sipi();
  test_active();
  test_shutdown();
  test_init_in_root();
  return vt_finish("vmx-activity");
}
