#!/bin/busybox sh
# /init of the kernel-initiator test guest (busybox ash). Drives the real Linux initiator
# (open-iscsi iscsid/iscsiadm + iscsi_tcp) against the target forwarded to pmt.portal and reports
# exactly one line on the serial console:
#   PMTARGET-GUEST: PASS <details>     or     PMTARGET-GUEST: FAIL <reason>
# then powers off. Parameters come from the kernel command line (pmt.*=value):
#   pmt.mode     write | verify   write: partition, mkfs, fill, re-login, fsck, verify.
#                                 verify: log in, fsck, check the files a write boot left.
#   pmt.iqn      target IQN (required)          pmt.portal  default 10.0.2.100:3260
#   pmt.user / pmt.secret        CHAP (initiator authenticates to the target)
#   pmt.muser / pmt.msecret      mutual CHAP (target authenticates to the initiator)
#   pmt.digest   None | CRC32C   requested for both HeaderDigest and DataDigest
#   pmt.badauth  1: first prove that a wrong CHAP secret is refused
#   pmt.bigmib   size of the large file in MiB (default 16)   pmt.files  small files (default 200)
#   pmt.sums     verify mode: sha256 of the SUMS file the write boot reported
# The sysfs/devtmpfs names below (/sys/block/sd*, /dev/sdX1) are the kernel's standard ones.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
/bin/busybox mount -t devtmpfs dev /dev
/bin/busybox mount -t tmpfs tmp /tmp
/bin/busybox mount -t tmpfs run /run
mkdir -p /run/lock/iscsi /var/lock /var/lib/iscsi
exec </dev/console >/dev/console 2>&1

MODE=write; IQN=; PORTAL=10.0.2.100:3260; USER=; SECRET=; MUSER=; MSECRET=; DIGEST=None
BADAUTH=0; BIGMIB=16; NFILES=200; SUMS=
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    pmt.mode=*) MODE="${arg#*=}" ;;     pmt.iqn=*) IQN="${arg#*=}" ;;
    pmt.portal=*) PORTAL="${arg#*=}" ;; pmt.user=*) USER="${arg#*=}" ;;
    pmt.secret=*) SECRET="${arg#*=}" ;; pmt.muser=*) MUSER="${arg#*=}" ;;
    pmt.msecret=*) MSECRET="${arg#*=}" ;; pmt.digest=*) DIGEST="${arg#*=}" ;;
    pmt.badauth=*) BADAUTH="${arg#*=}" ;; pmt.bigmib=*) BIGMIB="${arg#*=}" ;;
    pmt.files=*) NFILES="${arg#*=}" ;;  pmt.sums=*) SUMS="${arg#*=}" ;;
  esac
done

now() { cut -d' ' -f1 /proc/uptime; }
T_INIT="$(now)"
finish() {   # $1 = PASS|FAIL, rest = details; always the last thing the guest does
  local verdict="$1"; shift
  if [ "$verdict" = FAIL ]; then
    echo "---- iscsid log (tail) ----"; tail -n 30 /tmp/iscsid.log 2>/dev/null
    echo "---- dmesg (tail) ----"; dmesg | tail -n 30
  fi
  sync
  # One line, whatever the reason contained (iscsiadm errors are multi-line).
  echo "PMTARGET-GUEST: $verdict $(echo "$*" | tr '\n' ' ') (uptime=$(now)s)"
  sleep 1   # let the serial line drain before the power goes
  poweroff -f
}
fail() { finish FAIL "$*"; }
step() { echo "pmt-guest: [$(now)s] $*"; }

[ -n "$IQN" ] || fail "no pmt.iqn on the kernel command line"
for m in $(cat /lib/modules/load-order); do
  insmod "/lib/modules/$m" || fail "insmod $m"
done

ip link set lo up
ip link set eth0 up || fail "no eth0 (virtio_net did not bind)"
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2

/usr/sbin/iscsid -f >/tmp/iscsid.log 2>&1 &
sleep 1
ADM=/usr/sbin/iscsiadm
T_NET="$(now)"
step "init at ${T_INIT}s, network + iscsid up; mode=$MODE iqn=$IQN portal=$PORTAL digest=$DIGEST"

# SendTargets discovery: the target answers with the portal it knows (127.0.0.1:PORT on the
# host), which is the guest itself here, so the record it creates is not used for login.
DISC="$($ADM -m discovery -t sendtargets -p "$PORTAL" 2>&1)" || fail "discovery: $DISC"
echo "$DISC" | grep -q " $IQN\$" || fail "discovery did not list $IQN: $DISC"
$ADM -m node -o delete >/dev/null 2>&1

node_set() { $ADM -m node -T "$IQN" -p "$PORTAL" -o update -n "$1" -v "$2" >/dev/null || fail "set $1"; }
setup_node() {   # $1 = CHAP secret to use
  $ADM -m node -T "$IQN" -p "$PORTAL" -o delete >/dev/null 2>&1
  $ADM -m node -T "$IQN" -p "$PORTAL" -o new >/dev/null || fail "cannot create node record"
  if [ -n "$USER" ]; then
    node_set node.session.auth.authmethod CHAP
    node_set node.session.auth.username "$USER"
    node_set node.session.auth.password "$1"
    if [ -n "$MUSER" ]; then
      node_set node.session.auth.username_in "$MUSER"
      node_set node.session.auth.password_in "$MSECRET"
    fi
  fi
  node_set "node.conn[0].iscsi.HeaderDigest" "$DIGEST"
  node_set "node.conn[0].iscsi.DataDigest" "$DIGEST"
}
login() { $ADM -m node -T "$IQN" -p "$PORTAL" --login >/tmp/login.log 2>&1 || fail "login: $(cat /tmp/login.log)"; }
logout() { $ADM -m node -T "$IQN" -p "$PORTAL" --logout >/tmp/logout.log 2>&1 || fail "logout: $(cat /tmp/logout.log)"; }

if [ "$BADAUTH" = 1 ]; then
  [ -n "$USER" ] || fail "pmt.badauth needs pmt.user"
  setup_node "wrong-${SECRET}-wrong"
  if $ADM -m node -T "$IQN" -p "$PORTAL" --login >/tmp/login.log 2>&1; then
    fail "target accepted a wrong CHAP secret"
  fi
  step "wrong CHAP secret refused: $(grep -o 'iSCSI login failed.*' /tmp/login.log | head -1)"
fi
setup_node "$SECRET"

DISK=
wait_disk() {   # the only SCSI disks in this guest are the iSCSI LUNs
  local i=0 d
  DISK=
  while [ $i -lt 300 ]; do
    for d in /sys/block/sd*; do
      [ -e "$d" ] && [ "$(cat "$d/size")" -gt 0 ] && DISK="${d##*/}" && return 0
    done
    sleep 0.1; i=$((i + 1))
  done
  fail "no /sys/block/sd* 30 s after login"
}
wait_node() { local i=0; while [ ! -b "$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done; [ -b "$1" ] || fail "no $1"; }

check_negotiated() {   # requested digest must be what the session runs with
  local p="$($ADM -m session -P 2 2>&1)"
  HD="$(echo "$p" | awk '/HeaderDigest:/ {print $2; exit}')"
  DD="$(echo "$p" | awk '/DataDigest:/ {print $2; exit}')"
  [ "$HD" = "$DIGEST" ] || fail "HeaderDigest negotiated '$HD', wanted $DIGEST"
  [ "$DD" = "$DIGEST" ] || fail "DataDigest negotiated '$DD', wanted $DIGEST"
}

login; wait_disk; check_negotiated
T_LOGIN="$(now)"
step "logged in, disk $DISK ($(cat /sys/block/$DISK/size) sectors), HeaderDigest=$HD DataDigest=$DD"
PART="/dev/${DISK}1"

if [ "$MODE" = write ]; then
  echo 'type=83' | /usr/sbin/sfdisk -q "/dev/$DISK" >/tmp/sfdisk.log 2>&1 || fail "sfdisk: $(cat /tmp/sfdisk.log)"
  wait_node "$PART"
  /usr/sbin/mke2fs -q -F -t ext4 "$PART" >/tmp/mkfs.log 2>&1 || fail "mke2fs: $(cat /tmp/mkfs.log)"
  mount -t ext4 "$PART" /mnt || fail "mount after mkfs"
  step "partitioned, mkfs.ext4, mounted"
  dd if=/dev/urandom of=/mnt/big bs=1M count="$BIGMIB" 2>/dev/null || fail "write big file"
  mkdir /mnt/small
  i=0
  while [ $i -lt "$NFILES" ]; do   # sizes 1 B .. 12 KiB, different per file
    head -c $(( (i * 7919) % 12288 + 1 )) /dev/urandom > "/mnt/small/f$i" || fail "write small file $i"
    i=$((i + 1))
  done
  (cd /mnt && sha256sum big small/* > /tmp/SUMS) || fail "sha256sum"
  cp /tmp/SUMS /mnt/SUMS
  sync
  umount /mnt || fail "umount"
  T_WRITE="$(now)"
  step "wrote ${BIGMIB} MiB + $NFILES files, unmounted; logout / login again"
  logout
  [ -e "/sys/block/$DISK" ] && sleep 1
  login; wait_disk; check_negotiated
  PART="/dev/${DISK}1"; wait_node "$PART"
fi

/usr/sbin/e2fsck -fn "$PART" >/tmp/fsck.log 2>&1 || fail "e2fsck -fn not clean: $(tail -n 5 /tmp/fsck.log)"
mount -t ext4 -o ro "$PART" /mnt || fail "mount for verify"
if [ "$MODE" = verify ]; then
  [ -f /mnt/SUMS ] || fail "no SUMS file on the LUN"
  cp /mnt/SUMS /tmp/SUMS
  GOT="$(sha256sum /tmp/SUMS | cut -d' ' -f1)"
  [ -z "$SUMS" ] || [ "$GOT" = "$SUMS" ] || fail "SUMS file hash $GOT, write boot reported $SUMS"
fi
N="$(wc -l < /tmp/SUMS)"
(cd /mnt && sha256sum -c -s /tmp/SUMS) || fail "checksum mismatch: $(cd /mnt && sha256sum -c /tmp/SUMS 2>&1 | grep -v ': OK$' | head -3)"
umount /mnt
logout
T_END="$(now)"
finish PASS "mode=$MODE files=$N sums=$(sha256sum /tmp/SUMS | cut -d' ' -f1) hdr=$HD data=$DD" \
  "t_init=${T_INIT} t_net=${T_NET} t_login=${T_LOGIN} t_write=${T_WRITE:-0} t_end=${T_END}"
