#!/usr/bin/env bash
# The arm64 LLVM OpenMP runtime (libomp) inside the aarch64 cross sysroot /usr/aarch64-linux-gnu,
# as a dpkg-owned package `libomp5-19-arm64-cross` (what dpkg-cross would make; it refuses
# Multi-Arch packages whose files lie under /usr/lib/llvm-19, so this repacks by hand).
#
# Why: clang compiles OpenMP only for libomp (with -fopenmp=libgomp it silently ignores every
# #pragma omp), and Debian has an arm64 libomp but no arm64-cross package of it. The .deb comes
# from the Debian mirror through apt itself (an arm64-only package index in a private state
# directory: this machine's dpkg architectures are not changed). Idempotent; run as root.
set -euo pipefail

PKG=libomp5-19-arm64-cross
if dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -q "install ok installed"; then
  exit 0
fi
work=$(mktemp -d /tmp/xaas-arm64-omp.XXXXXX)
trap 'rm -rf "$work"' EXIT
apt_opts=(-o APT::Architecture=arm64 -o APT::Architectures::=arm64
          -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
          -o Dir::State::status=/dev/null -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
apt-get "${apt_opts[@]}" update -qq
(cd "$work/debs" && apt-get "${apt_opts[@]}" download -qq libomp5-19:arm64 2>/dev/null)
deb=$(ls "$work"/debs/libomp5-19_*_arm64.deb)
dpkg-deb -x "$deb" "$work/x"
version=$(dpkg-deb -f "$deb" Version)
root="$work/pkg"
mkdir -p "$root/DEBIAN" "$root/usr/aarch64-linux-gnu/lib"
cp "$work/x/usr/lib/llvm-19/lib/libomp-19.so.5" "$root/usr/aarch64-linux-gnu/lib/libomp.so.5"
ln -s libomp.so.5 "$root/usr/aarch64-linux-gnu/lib/libomp.so"
cat > "$root/DEBIAN/control" <<EOF
Package: $PKG
Source: llvm-toolchain-19
Version: $version
Architecture: all
Maintainer: xaas-parsl setup <root@localhost>
Depends: libc6-arm64-cross
Section: devel
Priority: optional
Description: LLVM OpenMP runtime (arm64) for cross-compiling
 libomp.so.5 from Debian's libomp5-19 arm64 package, placed in the aarch64
 cross sysroot for clang --target=aarch64-linux-gnu -fopenmp and qemu-aarch64 -L.
EOF
dpkg-deb --root-owner-group -b "$root" "$work/$PKG.deb" >/dev/null
dpkg -i "$work/$PKG.deb" >/dev/null
echo "arm64-openmp: installed $PKG $version" >&2
