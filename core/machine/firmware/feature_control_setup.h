// What a BIOS does to IA32_FEATURE_CONTROL before the OS starts (vtlab has
// no BIOS: the machine does it). Firmware that supports VT-x, as SeaBIOS
// on QEMU/KVM does, enables VMX outside SMX and sets the lock bit, so an OS
// finds VMX usable and cannot change the setting (SDM Vol. 3C §24.7).
// docs/firmware.md.
#pragma once
#include "cpu/cpu.h"

namespace vtlab {

// Locks IA32_FEATURE_CONTROL with "enable VMX outside SMX" when CPUID
// reports VMX; locks it with VMX disabled otherwise.
void lock_feature_control(Cpu& cpu);

}  // namespace vtlab
