#!/usr/bin/env bash
# Installs the host tools the qemu-guest integration tests (it/kernel: KernelInitiatorIT,
# DmWritecacheInteropIT) need. Idempotent: runs `apt-get update` only when a package is
# missing, installs nothing when all are present. The guest kernel itself is NOT installed:
# it/kernel/build-guest.sh fetches linux-image-cloud-amd64 with `apt-get download` and unpacks it
# under build/cache.
set -euo pipefail

# Package -> why:
#   qemu-system-x86  the guest runs under TCG (host kernel modules cannot be loaded here)
#   busybox-static   guest userland (static: no library resolution needed)
#   socat            guestfwd command that bridges the guest portal to 127.0.0.1:PORT
#   open-iscsi       iscsid + iscsiadm, copied into the initramfs with their libraries
#   e2fsprogs        mke2fs / e2fsck copied into the initramfs
#   fdisk            sfdisk copied into the initramfs
#   dmsetup          copied into the dm-writecache interop guest (DmWritecacheInteropIT)
#   cpio gzip        initramfs packing
#   tgt              stock Linux target (tgtd) used as the reference target
#   util-linux       unshare / nsenter for the loopback-only network namespace
#   iproute2         `ip link set lo up` inside the namespace
#   kmod             not needed on the host, but depmod-style tools are handy for debugging
PACKAGES=(qemu-system-x86 busybox-static socat open-iscsi e2fsprogs fdisk dmsetup cpio gzip tgt
          util-linux iproute2 kmod)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-kernel-deps: all present (${PACKAGES[*]})"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-kernel-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
# open-iscsi's postinst may try to start iscsid via systemd; in containers without systemd
# that is harmless (policy-rc.d may refuse), so do not let a service start fail the install.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-kernel-deps: done"
