#!/usr/bin/env bash
# Installs the Debian 12 packages vtlab needs to build, test and run, when missing.
set -euo pipefail
pkgs=(build-essential cmake ninja-build binutils libzydis-dev libcapstone-dev libsdl2-dev acpica-tools
      libimgui-dev doctest-dev libxbyak-dev libmpfr-dev cpio)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi
