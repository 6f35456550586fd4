#!/bin/sh
# check_isa.sh OBJDUMP IMAGE [x87]
# Fails if IMAGE contains instructions outside the ROMs' instruction set:
# x87, MMX, SSE3 and later (SSSE3, SSE4.x, AES, ...), AVX/AVX-512, BMI,
# POPCNT/LZCNT/TZCNT, MOVBE. The ROMs are built with -march=x86-64
# -mno-80387 -mno-mmx, so this is a safety net for flags and inline asm.
# With `x87`, x87 and MMX instructions are allowed (the x87 ROM's own
# assembly; its C code is still compiled without them). With `vmx`, MONITOR
# and MWAIT are (the VMX ROMs' guests execute them to cause VM exits).
#
# 32-bit code (the entry stub and a ROM's protected-mode part) lives under
# symbols named _start32, require_long_mode, build_identity_map, serial32_*
# and pm32_*: it is disassembled as i386, everything else as x86-64 (read as
# 64-bit code, 32-bit code can look like anything, x87 included). Guest code
# of the VMX ROMs that runs in real or 32-bit mode (symbols guest16_* and
# guest32_*) is not checked: the guest, not the ROM, runs it.
set -eu
objdump=$1
image=$2
allow_x87=${3:-}
# check MACHINE_OPTION WANT32: checks the code that is (1) or is not (0) 32-bit.
check() {
"$objdump" -d --no-show-raw-insn $1 "$image" | awk -F'\t' -v image="$image" -v want32="$2" -v allow_x87="$allow_x87" '
/^[0-9a-f]+ <[^>]+>:$/ {
  sym = $0
  sub(/^[0-9a-f]+ </, "", sym)
  sub(/>:$/, "", sym)
  in32 = sym ~ /^(_start32|require_long_mode|build_identity_map|serial32_|pm32_)/ ? 1 : 0
  if (sym ~ /^(guest16_|guest32_)/) in32 = 2
  next
}
/^ *[0-9a-f]+:\t/ {
  if (in32 != want32) next
  ins = $2
  n = split(ins, w, /[ ,]+/)
  i = 1
  while (i < n && w[i] ~ /^(rep|repz|repnz|repe|repne|lock|data16|addr32|notrack|bnd|cs|ds|es|ss|fs|gs|rex.*)$/) i++
  m = w[i]
  why = ""
  if ((m ~ /^f/ && m !~ /^fxsave|^fxrstor/) || ins ~ /%st/) why = "x87"
  else if (ins ~ /%mm[0-7]/) why = "MMX"
  else if (ins ~ /%[yz]mm|%k[0-7]/ || (m ~ /^v/ && ins ~ /%xmm/)) why = "AVX"
  else if (m ~ /^(addsubp|hadd|hsub|lddqu|movddup|movs[hl]dup|monitor|mwait)/) why = "SSE3"
  else if (m ~ /^(pabs|palignr|phadd|phsub|pmaddubsw|pmulhrsw|pshufb|psign)/) why = "SSSE3"
  else if (m ~ /^(blendp|blendvp|dpp|extractps|insertps|movntdqa|mpsadbw|packusdw|pblend|pcmpeqq|pextr[bdq]|pinsr[bdq]|phminposuw|pmaxs[bd]|pmaxu[wd]|pmins[bd]|pminu[wd]|pmov[sz]x|pmuldq|pmulld|ptest|round[ps][sd])/) why = "SSE4.1"
  else if (m ~ /^(pcmp[ei]str|pcmpgtq|crc32)/) why = "SSE4.2"
  else if (m ~ /^(aes|pclmul|sha1|sha256)/) why = "AES/SHA"
  else if (m ~ /^(popcnt|lzcnt|tzcnt|andn|bextr|blsi|blsmsk|blsr|bzhi|mulx|pdep|pext|rorx|sarx|shlx|shrx|movbe|adcx|adox)$/) why = "BMI/ABM"
  if (allow_x87 == "x87" && (why == "x87" || why == "MMX")) why = ""
  if (allow_x87 == "vmx" && m ~ /^(monitor|mwait)/) why = ""
  if (why != "") {
    printf "%s: %s instruction at %s %s\n", image, why, $1, ins
    bad++
  }
}
END { exit bad ? 1 : 0 }'
}
check "" 0
check "-m i386" 1
