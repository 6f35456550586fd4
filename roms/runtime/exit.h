/* Ends the run through the debug-exit port 0xf4 (QEMU isa-debug-exit
 * convention: host status = (code << 1) | 1). */
#pragma once
#include <stdint.h>

__attribute__((noreturn)) void exit_qemu(uint32_t code);
