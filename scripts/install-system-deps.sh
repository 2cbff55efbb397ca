#!/usr/bin/env bash
# Installs the Debian packages the tests need, only those missing (idempotent, no prompts):
#   chromium              the browser the e2e tests drive (playwright-core, no browser download)
#   libkrb5-dev           headers for code-server's kerberos native module (built from source)
#   ripgrep               Debian's rg seeds @vscode/ripgrep's download cache (no GitHub here)
#   device-tree-compiler  dtc, to cross-check FDT blobs
#   qemu-system-x86       boots kernels for real KHO dumps
#   makedumpfile          writes kdump-compressed dumps
#   gcc g++ make python3  node-gyp's toolchain, when no C compiler is present
#
# Usage: bash scripts/install-system-deps.sh [package ...]
#   default: all of the above; with arguments: those packages (plus the toolchain if missing).
# Works as root with CI=true and no stdin; elsewhere it uses sudo when available.
set -euo pipefail

if (($#)); then
  wanted=("$@")
else
  wanted=(chromium libkrb5-dev ripgrep device-tree-compiler qemu-system-x86 makedumpfile)
fi
# The toolchain counts as present whatever package brought it (clang, build-essential, pyenv...).
command -v cc >/dev/null || wanted+=(gcc)
command -v c++ >/dev/null || wanted+=(g++)
command -v make >/dev/null || wanted+=(make)
command -v python3 >/dev/null || wanted+=(python3)

installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]; }

missing=()
for p in "${wanted[@]}"; do installed "$p" || missing+=("$p"); done
if ((${#missing[@]} == 0)); then
  echo "system deps: all present (${wanted[*]})"
  exit 0
fi

if ! command -v apt-get >/dev/null; then
  echo "system deps: missing ${missing[*]}, and apt-get is not available; install them by hand" >&2
  exit 1
fi
SUDO=()
if ((EUID != 0)); then
  if command -v sudo >/dev/null; then SUDO=(sudo -n); else
    echo "system deps: missing ${missing[*]}; run as root or install sudo" >&2; exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
apt_get() { "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -qq -o=Dpkg::Use-Pty=0 "$@" </dev/null; }

echo "system deps: apt-get install ${missing[*]}"
# Refresh the package lists once, only when one of the packages is not known to apt yet
# or the first install attempt fails on stale lists.
need_update=0
for p in "${missing[@]}"; do
  apt-cache show "$p" >/dev/null 2>&1 || need_update=1
done
((need_update)) && apt_get update >/dev/null
if ! apt_get install --no-install-recommends "${missing[@]}" >/dev/null; then
  ((need_update)) && exit 1
  echo "system deps: install failed; refreshing package lists once and retrying"
  apt_get update >/dev/null
  apt_get install --no-install-recommends "${missing[@]}" >/dev/null
fi

still=()
for p in "${missing[@]}"; do installed "$p" || still+=("$p"); done
if ((${#still[@]})); then echo "system deps: still missing after install: ${still[*]}" >&2; exit 1; fi
echo "system deps: installed ${missing[*]}"
