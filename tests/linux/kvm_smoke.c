// kvm-smoke: runs inside the Linux guest on vtlab (docs/linux-boot.md "KVM
// inside vtlab"). Linux is the hypervisor there: this program asks its KVM
// (kvm.ko + kvm-intel.ko on vtlab's VMX) for a VM with one vCPU and runs two
// guests in it, one in real mode and one in 64-bit long mode. Each guest
// writes a line to port 0x3f8 byte by byte (every OUT is a KVM_EXIT_IO), then
// proves its mode on port 0x3f9 (the real-mode guest's 16-bit segment
// arithmetic, the long-mode guest's upper 32 bits of a 64-bit register), then
// halts (KVM_EXIT_HLT). The program prints what it got, one line per guest,
// and "kvm-smoke: PASS" or "kvm-smoke: FAIL ..." last; its exit status is 0
// only on PASS. Built static (glibc's libc.a) so the busybox initramfs runs it.
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
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
    ".popsection\n");
extern const unsigned char real_guest_start[], real_guest_end[];
extern const unsigned char long_guest_start[], long_guest_end[];

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

static int vm_create(struct vm* vm) {
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
// CR0.PE|PG, CR4.PAE, EFER.LME|LMA and a 64-bit code segment.
static void long_mode(struct vm* vm) {
  memcpy(vm->mem + kCodeAt, long_guest_start, (size_t)(long_guest_end - long_guest_start));
  uint64_t* pml4 = (uint64_t*)(vm->mem + kPml4At);
  uint64_t* pdpt = (uint64_t*)(vm->mem + kPml4At + 0x1000);
  uint64_t* pd = (uint64_t*)(vm->mem + kPml4At + 0x2000);
  pml4[0] = (kPml4At + 0x1000) | 3;  // present, writable
  pdpt[0] = (kPml4At + 0x2000) | 3;
  pd[0] = 0x83;  // present, writable, 2 MiB page at 0
  struct kvm_sregs sregs;
  if (xioctl(vm->vcpu, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS") < 0) return;
  sregs.cr3 = kPml4At;
  sregs.cr4 = 1u << 5;                      // PAE
  sregs.cr0 = 1u | (1u << 4) | (1u << 31);  // PE, ET, PG
  sregs.efer = (1u << 8) | (1u << 10);      // LME, LMA
  struct kvm_segment code = {.base = 0,
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
  sregs.cs = code;
  sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
  if (xioctl(vm->vcpu, KVM_SET_SREGS, &sregs, "KVM_SET_SREGS") < 0) return;
  struct kvm_regs regs = {.rip = kCodeAt, .rsp = kStackTop, .rflags = 2};
  if (xioctl(vm->vcpu, KVM_SET_REGS, &regs, "KVM_SET_REGS") < 0) return;
  char line[128];
  uint32_t proof = 0;
  if (run_guest(vm, "64-bit", line, sizeof line, &proof) == 0)
    check("64-bit", line, "hello from a 64-bit guest", proof, 0x64123456);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct vm vm;
  if (vm_create(&vm) == 0) {
    printf("kvm-smoke: VM created (KVM API %d)\n", KVM_API_VERSION);
    real_mode(&vm);
    long_mode(&vm);
  }
  if (failures == 0) printf("kvm-smoke: PASS\n");
  return failures == 0 ? 0 : 1;
}
