#!/usr/bin/env bash
# Set up gatecc on a fresh machine: system packages, then a virtual
# environment in .venv with gatecc installed (non-editable, as users get it).
#
#   bash scripts/setup.sh          # gatecc and its runtime dependencies
#   bash scripts/setup.sh --test   # plus the test tools and the system packages the tests use
#
# System packages are installed with apt-get when running as root or with
# sudo; otherwise the missing ones are listed and setup goes on.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

# Debian packages: a C compiler for the C target; the tests need more.
apt_packages=(gcc libc6-dev)
if (( want_test )); then
  # ABC and yosys prove the exports equivalent; Graphviz reads the DOT export;
  # Mesa's software Vulkan driver (lavapipe) runs the WGSL tests without a GPU;
  # Chromium and its WebDriver run the WebGPU Life page headless (SwiftShader);
  # llvm: llc, to check that the LLVM target's .ll files compile.
  apt_packages+=(berkeley-abc yosys graphviz mesa-vulkan-drivers chromium chromium-driver llvm)
  # The c-embedded target is cross-compiled for aarch64 and armhf (static, run under qemu-user)
  # and for a Cortex-M4 (gcc-arm-none-eabi, linked without any library).
  apt_packages+=(gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf libc6-dev-arm64-cross libc6-dev-armhf-cross
                 qemu-user gcc-arm-none-eabi)
fi

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if (( ${#missing[@]} )); then
  if [[ $(id -u) == 0 ]]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else sudo="none"; fi
  if [[ $sudo == none ]] || ! command -v apt-get >/dev/null; then
    echo "setup: please install these system packages: ${missing[*]}" >&2
  else
    echo "setup: installing ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

python=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
if (( want_test )); then
  .venv/bin/python -m pip install -q ".[test]"
  # torchlogix is pure Python; its declared extras (torchvision, torch-geometric, ...) would
  # replace the pinned CPU torch, and the import tests need only its layers.
  .venv/bin/python -m pip install -q --no-deps "torchlogix==0.2.2"
else
  .venv/bin/python -m pip install -q .
fi
# pip keeps an already-installed gatecc of the same version: force this tree's.
.venv/bin/python -m pip install -q --no-deps --force-reinstall .
echo "setup: gatecc installed in .venv ($(.venv/bin/gatecc --version))" >&2
