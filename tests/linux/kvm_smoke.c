// kvm-smoke: runs inside the Linux guest on vtlab (docs/linux-boot.md "KVM
// inside vtlab"). Linux is the hypervisor there: this program asks its KVM
// (kvm.ko + kvm-intel.ko on vtlab's VMX) for a VM with one vCPU and runs two
// guests in it, one in real mode and one in 64-bit long mode. Each guest
// writes a line to port 0x3f8 byte by byte (every OUT is a KVM_EXIT_IO), then
// proves its mode on port 0x3f9 (the real-mode guest's 16-bit segment
// arithmetic, the long-mode guest's upper 32 bits of a 64-bit register), then
// halts (KVM_EXIT_HLT). A third guest, in a second VM with KVM's in-kernel
// irqchip, takes interrupts through its local APIC: an xAPIC self-IPI, the
// APIC timer, an MSI another thread of this program signals while the guest
// runs, and an x2APIC self-IPI; each handler prints a letter and EOIs. With
// kvm_intel's APICv these never leave the guest as VM exits to be injected:
// vtlab's virtual-interrupt delivery, posted-interrupt processing and
// virtualized APIC accesses carry them, which KVM's own statistics confirm
// (no interrupt injected, no instruction emulated). The program prints what
// it got, one line per guest, and "kvm-smoke: PASS" or "kvm-smoke: FAIL ..."
// last; its exit status is 0 only on PASS. Built static (glibc's libc.a) so
// the busybox initramfs runs it.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

enum {
  kMemSize = 0x200000,  // 2 MiB of guest-physical memory at 0
  kCodeAt = 0x1000,     // where each guest's code is copied
  kPml4At = 0x10000,    // long-mode page tables: PML4, PDPT, PD (one 2 MiB page)
  kStackTop = 0x8000,
  kTextPort = 0x3f8,   // the guests' line, byte by byte
  kProofPort = 0x3f9,  // one 32-bit value that only the right mode computes
  // The APIC guest (apic_guest below).
  kReadyPort = 0x3fa,    // "send me the MSI now"
  kDonePort = 0x3fb,     // every interrupt arrived
  kStuckPort = 0x3fc,    // an interrupt did not come: the stage number
  kGdtAt = 0x3000,       // null, 64-bit code (8), data (16)
  kIdtAt = 0x4000,       // 256 16-byte gates
  kCountersAt = 0x9000,  // one 32-bit count per interrupt (self-IPI, timer, MSI, x2APIC)
  kApicBase = 0xfee00000,
  kMsiVector = 0x42,
};

// The guests, assembled by the host's gcc into .rodata; only position-
// independent references (differences of labels, RIP-relative) so they run
// wherever they are copied. Real mode: 16-bit code at 0:0x1000. The proof:
// DS=0x200 with offset 0x10 reaches linear 0x2010 (a flat segment would not).
__asm__(
    ".pushsection .rodata\n"
    ".globl real_guest_start, real_guest_end\n"
    "real_guest_start:\n"
    ".code16\n"
    "  mov $0x3f8, %dx\n"
    "  mov $(real_msg - real_guest_start + 0x1000), %si\n"
    "1:lodsb\n"
    "  test %al, %al\n"
    "  jz 2f\n"
    "  out %al, %dx\n"
    "  jmp 1b\n"
    "2:movl $0x5aa5c33c, (0x2010)\n"  // linear 0x2010 via DS=0
    "  mov $0x200, %ax\n"
    "  mov %ax, %ds\n"
    "  mov (0x10), %eax\n"  // DS=0x200: 0x2000 + 0x10
    "  mov $0x3f9, %dx\n"
    "  out %eax, %dx\n"
    "  hlt\n"
    "real_msg: .asciz \"hello from a real-mode guest\\n\"\n"
    ".code64\n"
    "real_guest_end:\n"
    ".globl long_guest_start, long_guest_end\n"
    "long_guest_start:\n"
    "  mov $0x3f8, %dx\n"
    "  lea long_msg(%rip), %rsi\n"
    "1:lodsb\n"
    "  test %al, %al\n"
    "  jz 2f\n"
    "  out %al, %dx\n"
    "  jmp 1b\n"
    "2:mov $0x6412345678abcdef, %rax\n"
    "  shr $32, %rax\n"  // 0x64123456: only a 64-bit register holds it
    "  mov $0x3f9, %dx\n"
    "  out %eax, %dx\n"
    "  hlt\n"
    "long_msg: .asciz \"hello from a 64-bit guest\\n\"\n"
    "long_guest_end:\n"
    // The APIC guest (64-bit, at 0x1000, the APIC mapped at FEE00000H):
    // reads the APIC version, enables the APIC (SVR), TPR 0, IF=1; then
    // waits for each interrupt in turn: a self-IPI written to the ICR, the
    // one-shot APIC timer, an MSI (after "ready" on its port), and after
    // switching to x2APIC mode (IA32_APIC_BASE.EXTD) a SELF IPI by WRMSR.
    ".globl apic_guest_start, apic_guest_end, apic_isr_40, apic_isr_41, apic_isr_42, apic_isr_43\n"
    "apic_guest_start:\n"
    // Touch the pages interrupt delivery uses (GDT, IDT, stack) so KVM maps
    // them in EPT now: a delivery that met an EPT violation would be
    // re-injected by KVM (architecturally right, but it would blur the
    // count of interrupts KVM injected itself).
    "  mov 0x3008, %rax\n"
    "  mov 0x4400, %rax\n"
    "  mov 0x9000, %eax\n"
    "  push %rax\n"
    "  pop %rax\n"
    "  mov $0xfee00000, %edi\n"
    "  mov 0x30(%rdi), %eax\n"  // APIC version
    "  mov $0x3f9, %dx\n"
    "  out %eax, %dx\n"
    "  movl $0x1ff, 0xf0(%rdi)\n"  // SVR: APIC enabled, spurious vector FFH
    "  movl $0, 0x80(%rdi)\n"      // TPR 0
    "  sti\n"
    "  movl $0, 0x310(%rdi)\n"        // ICR high
    "  movl $0x40040, 0x300(%rdi)\n"  // ICR low: self, fixed, edge, vector 40H
    "  mov $1, %bl\n"
    "  mov $0x9000, %esi\n"
    "  call apic_wait\n"
    "  movl $0xb, 0x3e0(%rdi)\n"    // divide by 1
    "  movl $0x41, 0x320(%rdi)\n"   // LVT timer: one-shot, vector 41H
    "  movl $50000, 0x380(%rdi)\n"  // initial count
    "  mov $2, %bl\n"
    "  mov $0x9004, %esi\n"
    "  call apic_wait\n"
    "  mov $0x3fa, %dx\n"  // ready for the MSI (vector 42H)
    "  out %al, %dx\n"
    "  mov $3, %bl\n"
    "  mov $0x9008, %esi\n"
    "  call apic_wait\n"
    "  mov $0x1b, %ecx\n"  // IA32_APIC_BASE: EN and EXTD (x2APIC mode)
    "  rdmsr\n"
    "  or $0xc00, %eax\n"
    "  wrmsr\n"
    "  mov $0x83f, %ecx\n"  // SELF IPI, vector 43H
    "  mov $0x43, %eax\n"
    "  xor %edx, %edx\n"
    "  wrmsr\n"
    "  mov $4, %bl\n"
    "  mov $0x900c, %esi\n"
    "  call apic_wait\n"
    "  mov $0x3fb, %dx\n"
    "  out %al, %dx\n"
    "  cli\n"
    "9:jmp 9b\n"
    // Waits (IF=1) until the count at RSI is not 0, at most 20 million
    // rounds; else says stage BL on the stuck port.
    "apic_wait:\n"
    "  mov $20000000, %ecx\n"
    "1:cmpl $0, (%rsi)\n"
    "  jne 2f\n"
    "  pause\n"
    "  dec %ecx\n"
    "  jnz 1b\n"
    "  mov %bl, %al\n"
    "  mov $0x3fc, %dx\n"
    "  out %al, %dx\n"
    "2:ret\n"
    // The handlers: count, print a letter, EOI (xAPIC: the EOI register;
    // x2APIC: WRMSR 80BH), IRETQ.
    "apic_isr_40:\n"
    "  push %rax\n"
    "  push %rdx\n"
    "  push %rdi\n"
    "  incl 0x9000\n"
    "  mov $'I', %al\n"
    "  jmp 1f\n"
    "apic_isr_41:\n"
    "  push %rax\n"
    "  push %rdx\n"
    "  push %rdi\n"
    "  incl 0x9004\n"
    "  mov $'T', %al\n"
    "  jmp 1f\n"
    "apic_isr_42:\n"
    "  push %rax\n"
    "  push %rdx\n"
    "  push %rdi\n"
    "  incl 0x9008\n"
    "  mov $'M', %al\n"
    "1:mov $0x3f8, %dx\n"
    "  out %al, %dx\n"
    "  mov $0xfee00000, %edi\n"
    "  movl $0, 0xb0(%rdi)\n"
    "  pop %rdi\n"
    "  pop %rdx\n"
    "  pop %rax\n"
    "  iretq\n"
    "apic_isr_43:\n"
    "  push %rax\n"
    "  push %rcx\n"
    "  push %rdx\n"
    "  incl 0x900c\n"
    "  mov $'X', %al\n"
    "  mov $0x3f8, %dx\n"
    "  out %al, %dx\n"
    "  mov $0x80b, %ecx\n"
    "  xor %eax, %eax\n"
    "  xor %edx, %edx\n"
    "  wrmsr\n"
    "  pop %rdx\n"
    "  pop %rcx\n"
    "  pop %rax\n"
    "  iretq\n"
    "apic_guest_end:\n"
    ".popsection\n");
extern const unsigned char real_guest_start[], real_guest_end[];
extern const unsigned char long_guest_start[], long_guest_end[];
extern const unsigned char apic_guest_start[], apic_guest_end[];
extern const unsigned char apic_isr_40[], apic_isr_41[], apic_isr_42[], apic_isr_43[];

static int failures;

static void fail(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("kvm-smoke: FAIL ");
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
  fflush(stdout);
  ++failures;
}

static int xioctl(int fd, unsigned long req, void* arg, const char* what) {
  const int r = ioctl(fd, req, arg);
  if (r < 0) fail("%s: %s", what, strerror(errno));
  return r;
}

struct vm {
  int kvm, fd, vcpu;
  uint8_t* mem;
  struct kvm_run* run;
};

// A VM with 2 MiB of memory at 0 and one vCPU; `irqchip`: KVM's in-kernel
// PIC, IOAPIC and local APICs (created before the vCPU, as KVM requires).
static int vm_create(struct vm* vm, int irqchip) {
  vm->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (vm->kvm < 0) {
    fail("open /dev/kvm: %s", strerror(errno));
    return -1;
  }
  const int api = ioctl(vm->kvm, KVM_GET_API_VERSION, 0);
  if (api != KVM_API_VERSION) {
    fail("KVM_GET_API_VERSION is %d, not %d", api, KVM_API_VERSION);
    return -1;
  }
  vm->fd = ioctl(vm->kvm, KVM_CREATE_VM, 0);
  if (vm->fd < 0) {
    fail("KVM_CREATE_VM: %s", strerror(errno));
    return -1;
  }
  if (irqchip && xioctl(vm->fd, KVM_CREATE_IRQCHIP, NULL, "KVM_CREATE_IRQCHIP") < 0) return -1;
  vm->mem = mmap(NULL, kMemSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (vm->mem == MAP_FAILED) {
    fail("mmap guest memory: %s", strerror(errno));
    return -1;
  }
  struct kvm_userspace_memory_region region = {
      .slot = 0, .guest_phys_addr = 0, .memory_size = kMemSize, .userspace_addr = (uint64_t)vm->mem};
  if (xioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region, "KVM_SET_USER_MEMORY_REGION") < 0) return -1;
  vm->vcpu = ioctl(vm->fd, KVM_CREATE_VCPU, 0);
  if (vm->vcpu < 0) {
    fail("KVM_CREATE_VCPU: %s", strerror(errno));
    return -1;
  }
  const int run_size = ioctl(vm->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
  if (run_size <= 0) {
    fail("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
    return -1;
  }
  vm->run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu, 0);
  if (vm->run == MAP_FAILED) {
    fail("mmap kvm_run: %s", strerror(errno));
    return -1;
  }
  return 0;
}

// Runs the vCPU until HLT, collecting the bytes written to the text port
// into `line` and the 32-bit value written to the proof port into *proof.
static int run_guest(struct vm* vm, const char* name, char* line, size_t cap, uint32_t* proof) {
  size_t len = 0;
  line[0] = 0;
  for (int exits = 0; exits < 1000; ++exits) {
    if (ioctl(vm->vcpu, KVM_RUN, 0) < 0) {
      fail("%s guest: KVM_RUN: %s", name, strerror(errno));
      return -1;
    }
    struct kvm_run* run = vm->run;
    switch (run->exit_reason) {
      case KVM_EXIT_IO: {
        const uint8_t* data = (const uint8_t*)run + run->io.data_offset;
        if (run->io.direction != KVM_EXIT_IO_OUT) break;
        if (run->io.port == kTextPort && run->io.size == 1) {
          for (uint32_t i = 0; i < run->io.count && len + 1 < cap; ++i) line[len++] = (char)data[i];
          line[len] = 0;
        } else if (run->io.port == kProofPort && run->io.size == 4) {
          memcpy(proof, data, 4);
        } else {
          fail("%s guest: OUT to port %#x, size %u", name, run->io.port, run->io.size);
          return -1;
        }
        break;
      }
      case KVM_EXIT_HLT:
        if (len > 0 && line[len - 1] == '\n') line[len - 1] = 0;
        return 0;
      case KVM_EXIT_FAIL_ENTRY:
        fail("%s guest: KVM_EXIT_FAIL_ENTRY, hardware reason %#llx", name,
             (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
        return -1;
      case KVM_EXIT_INTERNAL_ERROR:
        fail("%s guest: KVM_EXIT_INTERNAL_ERROR, suberror %u", name, run->internal.suberror);
        return -1;
      case KVM_EXIT_SHUTDOWN:
        fail("%s guest: KVM_EXIT_SHUTDOWN (triple fault)", name);
        return -1;
      default:
        fail("%s guest: unexpected exit reason %u", name, run->exit_reason);
        return -1;
    }
  }
  fail("%s guest: no HLT after 1000 exits", name);
  return -1;
}

static void check(const char* name, const char* line, const char* want_line, uint32_t proof, uint32_t want_proof) {
  printf("kvm-smoke: %s guest said \"%s\", proof %#x\n", name, line, proof);
  if (strcmp(line, want_line) != 0) fail("%s guest: expected \"%s\"", name, want_line);
  if (proof != want_proof) fail("%s guest: expected proof %#x", name, want_proof);
}

// Real mode: CS=DS=ES=SS=0, IP at the code (the vCPU starts in real mode;
// unrestricted guest, or KVM's vm86 emulation without it, runs it).
static void real_mode(struct vm* vm) {
  memcpy(vm->mem + kCodeAt, real_guest_start, (size_t)(real_guest_end - real_guest_start));
  struct kvm_sregs sregs;
  if (xioctl(vm->vcpu, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS") < 0) return;
  struct kvm_segment* segs[] = {&sregs.cs, &sregs.ds, &sregs.es, &sregs.fs, &sregs.gs, &sregs.ss};
  for (size_t i = 0; i < sizeof segs / sizeof segs[0]; ++i) {
    segs[i]->selector = 0;
    segs[i]->base = 0;
  }
  if (xioctl(vm->vcpu, KVM_SET_SREGS, &sregs, "KVM_SET_SREGS") < 0) return;
  struct kvm_regs regs = {.rip = kCodeAt, .rsp = kStackTop, .rflags = 2};
  if (xioctl(vm->vcpu, KVM_SET_REGS, &regs, "KVM_SET_REGS") < 0) return;
  char line[128];
  uint32_t proof = 0;
  if (run_guest(vm, "real-mode", line, sizeof line, &proof) == 0)
    check("real-mode", line, "hello from a real-mode guest", proof, 0x5aa5c33c);
}

// 64-bit mode: identity-map the first 2 MiB with one large page, then
// CR0.PE|PG, CR4.PAE, EFER.LME|LMA and a 64-bit code segment at `code`;
// `apic`: also the 2 MiB at FEE00000H (uncached), a GDT and an IDT, so the
// guest can take interrupts and IRETQ.
static int enter_long_mode(struct vm* vm, const unsigned char* code, size_t len, int apic) {
  memcpy(vm->mem + kCodeAt, code, len);
  uint64_t* pml4 = (uint64_t*)(vm->mem + kPml4At);
  uint64_t* pdpt = (uint64_t*)(vm->mem + kPml4At + 0x1000);
  uint64_t* pd = (uint64_t*)(vm->mem + kPml4At + 0x2000);
  pml4[0] = (kPml4At + 0x1000) | 3;  // present, writable
  pdpt[0] = (kPml4At + 0x2000) | 3;
  pd[0] = 0x83;  // present, writable, 2 MiB page at 0
  struct kvm_sregs sregs;
  if (xioctl(vm->vcpu, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS") < 0) return -1;
  if (apic) {
    uint64_t* pd_high = (uint64_t*)(vm->mem + kPml4At + 0x3000);  // 3-4 GiB
    pdpt[3] = (kPml4At + 0x3000) | 3;
    pd_high[(kApicBase >> 21) & 511] = kApicBase | 0x9b;  // 2 MiB page, PCD, PWT
    uint64_t* gdt = (uint64_t*)(vm->mem + kGdtAt);
    gdt[1] = 0x00af9b000000ffffull;  // 64-bit code
    gdt[2] = 0x00cf93000000ffffull;  // data
    const unsigned char* handlers[] = {apic_isr_40, apic_isr_41, apic_isr_42, apic_isr_43};
    for (unsigned k = 0; k < 4; ++k) {  // interrupt gates for vectors 40H-43H
      const uint64_t at = kCodeAt + (uint64_t)(handlers[k] - code);
      uint64_t* gate = (uint64_t*)(vm->mem + kIdtAt + 16 * (0x40 + k));
      gate[0] = (at & 0xffff) | 8ull << 16 | 0x8eull << 40 | ((at >> 16) & 0xffff) << 48;
      gate[1] = at >> 32;
    }
    sregs.gdt.base = kGdtAt, sregs.gdt.limit = 23;
    sregs.idt.base = kIdtAt, sregs.idt.limit = 0xfff;
  }
  sregs.cr3 = kPml4At;
  sregs.cr4 = 1u << 5;                      // PAE
  sregs.cr0 = 1u | (1u << 4) | (1u << 31);  // PE, ET, PG
  sregs.efer = (1u << 8) | (1u << 10);      // LME, LMA
  struct kvm_segment code_seg = {.base = 0,
                                 .limit = 0xffffffff,
                                 .selector = 8,
                                 .type = 11,
                                 .present = 1,
                                 .dpl = 0,
                                 .db = 0,
                                 .s = 1,
                                 .l = 1,
                                 .g = 1};
  struct kvm_segment data = {.base = 0,
                             .limit = 0xffffffff,
                             .selector = 16,
                             .type = 3,
                             .present = 1,
                             .dpl = 0,
                             .db = 1,
                             .s = 1,
                             .l = 0,
                             .g = 1};
  sregs.cs = code_seg;
  sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
  if (xioctl(vm->vcpu, KVM_SET_SREGS, &sregs, "KVM_SET_SREGS") < 0) return -1;
  struct kvm_regs regs = {.rip = kCodeAt, .rsp = kStackTop, .rflags = 2};
  return xioctl(vm->vcpu, KVM_SET_REGS, &regs, "KVM_SET_REGS");
}

static void long_mode(struct vm* vm) {
  if (enter_long_mode(vm, long_guest_start, (size_t)(long_guest_end - long_guest_start), 0) < 0) return;
  char line[128];
  uint32_t proof = 0;
  if (run_guest(vm, "64-bit", line, sizeof line, &proof) == 0)
    check("64-bit", line, "hello from a 64-bit guest", proof, 0x64123456);
}

// ---- the APIC guest ----

// The other thread: signals the MSI (fixed, edge, vector 42H to APIC ID 0)
// from another CPU if there is one, so it reaches the vCPU while it runs
// the guest (KVM then posts it: posted-interrupt descriptor and
// notification IPI).
struct msi_sender {
  int vm_fd, cpu, result, error;
};

static void* send_msi(void* arg) {
  struct msi_sender* s = arg;
  if (s->cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(s->cpu, &set);
    sched_setaffinity(0, sizeof set, &set);
  }
  struct kvm_msi msi = {.address_lo = kApicBase, .address_hi = 0, .data = kMsiVector};
  s->result = ioctl(s->vm_fd, KVM_SIGNAL_MSI, &msi);  // 1: delivered
  s->error = errno;
  return NULL;
}

// One of KVM's binary statistics of the vCPU (KVM_GET_STATS_FD), by name.
static int vcpu_stat(struct vm* vm, const char* name, uint64_t* value) {
  const int fd = ioctl(vm->vcpu, KVM_GET_STATS_FD, NULL);
  if (fd < 0) {
    fail("KVM_GET_STATS_FD: %s", strerror(errno));
    return -1;
  }
  int found = -1;
  struct kvm_stats_header h;
  if (pread(fd, &h, sizeof h, 0) == (ssize_t)sizeof h) {
    const size_t desc_size = sizeof(struct kvm_stats_desc) + h.name_size;
    char* descs = malloc(desc_size * h.num_desc);
    if (descs && pread(fd, descs, desc_size * h.num_desc, h.desc_offset) == (ssize_t)(desc_size * h.num_desc)) {
      for (uint32_t k = 0; k < h.num_desc && found < 0; ++k) {
        const struct kvm_stats_desc* d = (const struct kvm_stats_desc*)(descs + k * desc_size);
        if (strcmp(d->name, name) == 0 && pread(fd, value, 8, h.data_offset + d->offset) == 8) found = 0;
      }
    }
    free(descs);
  }
  close(fd);
  if (found < 0) fail("no vCPU statistic %s", name);
  return found;
}

// The guest's CPUID: what KVM supports, x2APIC included (KVM emulates it).
static int set_cpuid(struct vm* vm) {
  const unsigned max = 128;
  struct kvm_cpuid2* cpuid = calloc(1, sizeof *cpuid + max * sizeof(struct kvm_cpuid_entry2));
  if (!cpuid) return -1;
  cpuid->nent = max;
  int r = xioctl(vm->kvm, KVM_GET_SUPPORTED_CPUID, cpuid, "KVM_GET_SUPPORTED_CPUID");
  if (r >= 0) r = xioctl(vm->vcpu, KVM_SET_CPUID2, cpuid, "KVM_SET_CPUID2");
  free(cpuid);
  return r;
}

static void apic_guest(void) {
  struct vm vm;
  if (vm_create(&vm, 1) < 0 || set_cpuid(&vm) < 0) return;
  if (enter_long_mode(&vm, apic_guest_start, (size_t)(apic_guest_end - apic_guest_start), 1) < 0) return;
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  struct msi_sender sender = {.vm_fd = vm.fd, .cpu = cpus > 1 ? (int)((sched_getcpu() + 1) % cpus) : -1};
  pthread_t thread;
  int started = 0, done = 0;
  char letters[16] = "";
  size_t len = 0;
  uint32_t version = 0;
  for (int exits = 0; exits < 1000 && !done && failures == 0; ++exits) {
    if (ioctl(vm.vcpu, KVM_RUN, 0) < 0) {
      fail("APIC guest: KVM_RUN: %s", strerror(errno));
      break;
    }
    const struct kvm_run* run = vm.run;
    if (run->exit_reason != KVM_EXIT_IO || run->io.direction != KVM_EXIT_IO_OUT) {
      fail("APIC guest: exit reason %u", run->exit_reason);
      break;
    }
    const uint8_t* data = (const uint8_t*)run + run->io.data_offset;
    switch (run->io.port) {
      case kTextPort:
        if (len + 1 < sizeof letters) letters[len++] = (char)data[0], letters[len] = 0;
        break;
      case kProofPort:
        memcpy(&version, data, 4);
        break;
      case kReadyPort:
        if (!started && pthread_create(&thread, NULL, send_msi, &sender) == 0) started = 1;
        break;
      case kDonePort:
        done = 1;
        break;
      case kStuckPort:
        fail("APIC guest: no interrupt at stage %u (handlers said \"%s\")", data[0], letters);
        break;
      default:
        fail("APIC guest: OUT to port %#x", run->io.port);
    }
  }
  if (started) pthread_join(thread, NULL);
  if (!started)
    fail("APIC guest: never asked for the MSI");
  else if (sender.result != 1)
    fail("APIC guest: KVM_SIGNAL_MSI returned %d (%s)", sender.result, strerror(sender.error));
  if (!done) fail("APIC guest: did not finish");
  // KVM's version register: 14H (an integrated APIC), read from the
  // virtual-APIC page.
  printf(
      "kvm-smoke: APIC guest's handlers said \"%s\" (xAPIC self-IPI, timer, MSI, x2APIC self-IPI), APIC version %#x\n",
      letters, version & 0xff);
  if (strcmp(letters, "ITMX") != 0) fail("APIC guest: expected \"ITMX\"");
  if ((version & 0xff) != 0x14) fail("APIC guest: expected APIC version 0x14");
  // With APICv, KVM injects none of these interrupts (the CPU delivers them
  // from the virtual-APIC page; KVM only re-injects one whose delivery was
  // cut short by a VM exit, which the touched pages rule out) and emulates
  // no APIC access.
  uint64_t injected = 0, emulated = 0;
  if (vcpu_stat(&vm, "irq_injections", &injected) == 0 && vcpu_stat(&vm, "insn_emulation", &emulated) == 0) {
    printf("kvm-smoke: APIC guest: KVM injected %llu interrupts and emulated %llu instructions\n",
           (unsigned long long)injected, (unsigned long long)emulated);
    if (injected != 0 || emulated != 0) fail("APIC guest: APICv did not carry the interrupts and APIC accesses");
  }
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct vm vm;
  if (vm_create(&vm, 0) == 0) {
    printf("kvm-smoke: VM created (KVM API %d)\n", KVM_API_VERSION);
    real_mode(&vm);
    long_mode(&vm);
  }
  apic_guest();
  if (failures == 0) printf("kvm-smoke: PASS\n");
  return failures == 0 ? 0 : 1;
}
