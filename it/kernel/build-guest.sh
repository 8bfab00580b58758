#!/usr/bin/env bash
# Builds a qemu guest: a Debian cloud kernel and a busybox initramfs. Two flavours:
#   --guest initiator (default)  kernel-initiator test: open-iscsi (iscsid + iscsiadm), e2fsprogs,
#                                sfdisk, the iSCSI/SCSI/NIC modules, it/kernel/guest-init.sh as /init
#   --guest dmwc                 dm-writecache interop test: dmsetup, virtio_blk + dm-writecache
#                                modules, it/kernel/guest-dmwc-init.sh as /init
#
# Everything lands in <repo>/build/cache/, keyed by the package versions and by the hash of the
# guest scripts, so a re-run with nothing changed only prints the paths (well under a second).
#
# Each flavour has its own cache directory (guest-* / dmwc-guest-*): building one never evicts
# the other.
#
# Output (stdout, last two lines; everything else goes to stderr):
#   KERNEL=/abs/path/vmlinuz
#   INITRD=/abs/path/initrd.gz
#
# Host prerequisites: .ci/install-kernel-deps.sh (busybox-static, open-iscsi, e2fsprogs, fdisk,
# dmsetup, cpio, kmod). The kernel package is fetched with `apt-get download` and never installed.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${PMTARGET_KERNEL_CACHE:-$ROOT/build/cache}"
mkdir -p "$CACHE/debs"

log() { echo "build-guest: $*" >&2; }

GUEST=initiator
while [ $# -gt 0 ]; do
  case "$1" in
    --guest) GUEST="${2:-}"; shift ;;
    *) log "unknown argument $1 (usage: build-guest.sh [--guest initiator|dmwc])"; exit 64 ;;
  esac
  shift
done
case "$GUEST" in
  initiator)
    INIT_SCRIPT="$HERE/guest-init.sh"; PREFIX=guest
    HOST_PKGS="busybox-static open-iscsi e2fsprogs fdisk"
    WANTED="virtio_pci virtio_net crc32c_intel iscsi_tcp sd_mod" ;;
  dmwc)
    INIT_SCRIPT="$HERE/guest-dmwc-init.sh"; PREFIX=dmwc-guest
    HOST_PKGS="busybox-static dmsetup"
    WANTED="virtio_pci virtio_blk dm_writecache dm_delay" ;;
  *) log "--guest must be initiator or dmwc, not '$GUEST'"; exit 64 ;;
esac
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }

# The meta package linux-image-cloud-amd64 depends on the real, versioned image package
# (linux-image-<abi>-cloud-amd64). apt-cache knows both only after an `apt-get update`.
resolve_kernel_pkg() {
  apt-cache depends linux-image-cloud-amd64 2>/dev/null \
    | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'
}
KPKG="$(resolve_kernel_pkg)"
if [ -z "$KPKG" ]; then
  log "apt does not know linux-image-cloud-amd64 yet: apt-get update"
  apt-get update -qq >&2
  KPKG="$(resolve_kernel_pkg)"
fi
[ -n "$KPKG" ] || { log "cannot resolve the package behind linux-image-cloud-amd64"; exit 1; }
KPKGVER="$(apt-cache policy "$KPKG" | awk '/Candidate:/ {print $2; exit}')"
KVER="${KPKG#linux-image-}"   # e.g. 6.1.0-56-cloud-amd64 = the modules directory name

for p in $HOST_PKGS; do
  [ -n "$(pkgver "$p")" ] || { log "host package $p missing: run .ci/install-kernel-deps.sh"; exit 1; }
done

# The key names the flavour, every host package copied into it and the scripts it is built from.
KEY_TEXT="guest=$GUEST $KPKG=$KPKGVER"
for p in $HOST_PKGS; do KEY_TEXT+=" $p=$(pkgver "$p")"; done
KEY_TEXT+=" scripts=$(cat "$INIT_SCRIPT" "$HERE/build-guest.sh" | sha256sum | cut -c1-16)"
KEY="$(echo "$KEY_TEXT" | sha256sum | cut -c1-16)"
OUT="$CACHE/$PREFIX-$KVER-$KEY"

if [ -s "$OUT/initrd.gz" ] && [ -s "$OUT/vmlinuz" ]; then
  log "cached: $OUT ($KEY_TEXT)"
  echo "KERNEL=$OUT/vmlinuz"
  echo "INITRD=$OUT/initrd.gz"
  exit 0
fi

# --- kernel: download once per version, unpack once per version --------------------------------
KDIR="$CACHE/kernel-$KPKG-$KPKGVER"
if [ ! -s "$KDIR/boot/vmlinuz-$KVER" ]; then
  DEB="$(ls "$CACHE/debs/${KPKG}_"*.deb 2>/dev/null | grep -F "$(echo "$KPKGVER" | sed 's/:/%3a/')" | head -1 || true)"
  if [ -z "$DEB" ]; then
    log "downloading $KPKG $KPKGVER"
    (cd "$CACHE/debs" && apt-get download "$KPKG=$KPKGVER" >&2 2>/dev/null) \
      || (cd "$CACHE/debs" && apt-get download "$KPKG=$KPKGVER" >&2)
    DEB="$(ls "$CACHE/debs/${KPKG}_"*.deb | head -1)"
  fi
  rm -rf "$KDIR.tmp" && mkdir -p "$KDIR.tmp"
  dpkg -x "$DEB" "$KDIR.tmp"
  # The .deb ships no modules.dep (its postinst runs depmod): generate it inside the tree.
  depmod -b "$KDIR.tmp" "$KVER"
  rm -rf "$KDIR" && mv "$KDIR.tmp" "$KDIR"
fi
MODDIR="$KDIR/lib/modules/$KVER"

# --- initramfs tree --------------------------------------------------------------------------------
WORK="$(mktemp -d "$CACHE/initrd-build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
R="$WORK/root"
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc/iscsi,proc,sys,dev,run,tmp,mnt,var/lock,var/lib/iscsi}
mkdir -p "$R/run/lock/iscsi" "$R/lib/modules"

cp /bin/busybox "$R/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ -e "$R/bin/$applet" ] || ln -s busybox "$R/bin/$applet"
done

# Real tools go under /usr/sbin and are called by full path: Debian's busybox-static prefers its
# own applets (it has mke2fs, fdisk, ...) over $PATH.
copy_with_libs() {
  local bin="$1" dest="$2"
  cp -L "$bin" "$R$dest"
  ldd "$bin" | awk '/=> \// {print $3} /^\s*\/lib/ {print $1}' | while read -r lib; do
    mkdir -p "$R$(dirname "$lib")"
    [ -e "$R$lib" ] || cp -L "$lib" "$R$lib"
  done
}
# ld.so path recorded in the binaries
mkdir -p "$R/lib64" && cp -L /lib64/ld-linux-x86-64.so.2 "$R/lib64/"
echo "root:x:0:0:root:/:/bin/sh" > "$R/etc/passwd"
echo "root:x:0:" > "$R/etc/group"

if [ "$GUEST" = dmwc ]; then
  copy_with_libs "$(command -v dmsetup || echo /sbin/dmsetup)" /usr/sbin/dmsetup
else
copy_with_libs "$(command -v iscsid || echo /sbin/iscsid)" /usr/sbin/iscsid
copy_with_libs "$(command -v iscsiadm || echo /sbin/iscsiadm)" /usr/sbin/iscsiadm
copy_with_libs /sbin/mke2fs /usr/sbin/mke2fs
copy_with_libs /sbin/e2fsck /usr/sbin/e2fsck
copy_with_libs /sbin/sfdisk /usr/sbin/sfdisk
cp /etc/mke2fs.conf "$R/etc/mke2fs.conf"

cat > "$R/etc/iscsi/iscsid.conf" <<'CONF'
# iscsid must never try to start itself through systemd: the guest /init starts it.
iscsid.startup = /bin/true
node.startup = manual
node.session.timeo.replacement_timeout = 15
node.conn[0].timeo.login_timeout = 15
node.conn[0].timeo.logout_timeout = 15
node.conn[0].timeo.noop_out_interval = 5
node.conn[0].timeo.noop_out_timeout = 10
node.session.initial_login_retry_max = 2
node.session.scan = auto
CONF
echo "InitiatorName=iqn.2026-01.io.pmtarget:kernel-guest" > "$R/etc/iscsi/initiatorname.iscsi"
fi

# --- kernel modules, in load order (dependencies first), from modules.dep ----------------------
declare -A SEEN=()
ORDER=()
modpath() {   # module name -> relative path in modules.dep ('-' and '_' are the same in names)
  local n="${1//-/_}"
  awk -F: -v n="$n" '{p=$1; b=p; sub(/.*\//,"",b); sub(/\.ko(\.[a-z]+)?$/,"",b); gsub(/-/,"_",b);
                      if (b==n) {print p; exit}}' "$MODDIR/modules.dep"
}
visit() {     # post-order walk of modules.dep: dependencies land in ORDER first
  local rel="$1" dep
  [ -n "${SEEN[$rel]:-}" ] && return 0
  SEEN[$rel]=1
  for dep in $(awk -F': *' -v p="$rel" '$1==p {print $2; exit}' "$MODDIR/modules.dep"); do
    visit "$dep"
  done
  ORDER+=("$rel")
}
for m in $WANTED; do
  rel="$(modpath "$m")"
  if [ -z "$rel" ]; then
    if grep -q "/$m.ko" "$MODDIR/modules.builtin"; then continue; fi
    log "module $m is neither in modules.dep nor built in"; exit 1
  fi
  visit "$rel"
done
: > "$R/lib/modules/load-order"
for rel in "${ORDER[@]}"; do
  base="$(basename "$rel")"
  case "$base" in
    *.xz) xz -dc "$MODDIR/$rel" > "$R/lib/modules/${base%.xz}"; base="${base%.xz}" ;;
    *.zst) zstd -qdc "$MODDIR/$rel" > "$R/lib/modules/${base%.zst}"; base="${base%.zst}" ;;
    *) cp "$MODDIR/$rel" "$R/lib/modules/$base" ;;
  esac
  echo "$base" >> "$R/lib/modules/load-order"
done
log "modules: $(tr '\n' ' ' < "$R/lib/modules/load-order")"

cp "$INIT_SCRIPT" "$R/init"
chmod 755 "$R/init"

mkdir -p "$OUT.tmp"
cp "$KDIR/boot/vmlinuz-$KVER" "$OUT.tmp/vmlinuz"
(cd "$R" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1) > "$OUT.tmp/initrd.gz"
echo "$KEY_TEXT" > "$OUT.tmp/KEY"
rm -rf "$OUT" && mv "$OUT.tmp" "$OUT"
# Older guests of this flavour (other package versions or script hashes) are never used again.
for old in "$CACHE/$PREFIX"-*; do [ "$old" = "$OUT" ] || rm -rf "$old"; done
log "built $OUT ($(du -h "$OUT/initrd.gz" | cut -f1) initrd; $KEY_TEXT)"
echo "KERNEL=$OUT/vmlinuz"
echo "INITRD=$OUT/initrd.gz"
