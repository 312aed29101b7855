#!/usr/bin/env bash
# Register qemu-user-static for aarch64 executables with the kernel's binfmt_misc, so that arm64
# programs run transparently (mmdebstrap's foreign-architecture root file systems, arm64
# containers under Docker). The kernel supports binfmt_misc but nothing mounts or registers it
# on a machine without systemd, so this does both, from the rule Debian's qemu-user-static
# ships (/usr/lib/binfmt.d/qemu-aarch64.conf; flag F opens the interpreter now, so it also works
# inside chroots and containers). Idempotent; run as root. Touches only this machine's kernel.
set -euo pipefail

MISC=/proc/sys/fs/binfmt_misc
RULE=/usr/lib/binfmt.d/qemu-aarch64.conf
if [[ ! -f "$RULE" ]]; then
  echo "binfmt-qemu: $RULE missing (apt-get install qemu-user-static)" >&2
  exit 1
fi
if [[ ! -e "$MISC/register" ]]; then
  mount -t binfmt_misc binfmt_misc "$MISC"
fi
if [[ ! -e "$MISC/qemu-aarch64" ]]; then
  grep -v '^#' "$RULE" | head -n 1 > "$MISC/register"
fi
grep -q '^enabled' "$MISC/qemu-aarch64"
