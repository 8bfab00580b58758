#!/bin/busybox sh
# /init of the dm-writecache interop guest (busybox ash, built by `build-guest.sh --guest dmwc`).
# Drives the real kernel dm-writecache (SSD mode 's': metadata and data through dm-io on an
# ordinary block device) over raw virtio disks that the host attached with serial numbers:
#   b<i> backing device    c<i> cache device    o<i> output (read mode)    in  input (write mode)
# Reports key=value lines "PMT-DMWC: ...", the kernel's device-mapper messages as
# "PMT-DMWC-DMESG: ...", and exactly one verdict line, then powers off:
#   PMTARGET-GUEST: PASS <details>     or     PMTARGET-GUEST: FAIL <reason>
# Parameters from the kernel command line (pmt.*=value):
#   pmt.dmwc   read | write
#              read:  for each set i in 1..pmt.sets: table wc<i> over b<i>/c<i>, status, copy the
#                     whole mapped device to o<i> (fsync'ed), sha256 of a second full read, remove.
#              write: for each set i in 1..pmt.sets: table wc<i> over b<i>/c<i>, run the set's ops,
#                     print status; power off WITHOUT removing the tables (uncommitted writes stay
#                     uncommitted, like a crash).
#   pmt.sets   number of disk sets (default 1)
#   pmt.expect<i>=refuse  read mode: set i is a negative control: the kernel must refuse its table
#              (wrong block size or start_sector for the file); prints "wc<i> refused=<kernel message>"
#   pmt.bs     cache block size in bytes (default 4096)
#   pmt.wcopts dm-writecache optional arguments, ':' between name and value, ',' between options
#              (e.g. high_watermark:100,low_watermark:100,autocommit_time:3600000,start_sector:35)
#   pmt.ops    write mode: phase:dstBlock:srcBlock:blocks,... copied from disk "in" to wc<i> with
#              O_DIRECT in the set's block size units; after the last op of phases 1 and 2 an fsync
#              of wc<i> (a REQ_PREFLUSH: dm-writecache commits); phase 3 ops are never flushed.
#              The token "wb" (after a committed phase) starts writeback of everything committed
#              (`dmsetup message wc<i> 0 flush`, in the background) and waits until the kernel
#              reports all used blocks under writeback; later overwrites of those blocks get new
#              entries (an entry under writeback is never overwritten in place).
#   pmt.delay  write mode: >0 puts a dm-delay device under wc<i> that holds writes (not reads or
#              flushes) to b<i> that many ms, so writeback started by "wb" cannot finish before
#              the power goes off (default 0: no dm-delay).
#   pmt.bs<i>, pmt.wcopts<i>, pmt.ops<i>, pmt.delay<i>: the same for set i only (default: the
#              value without a set number).
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
/bin/busybox mount -t devtmpfs dev /dev
/bin/busybox mount -t tmpfs tmp /tmp
exec </dev/console >/dev/console 2>&1
# No udev in this guest: libdevmapper creates the /dev/mapper nodes itself and waits for nobody.
export DM_DISABLE_UDEV=1
DMSETUP="/usr/sbin/dmsetup --noudevsync"

MODE=; SETS=1
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    pmt.dmwc=*) MODE="${arg#*=}" ;;   pmt.sets=*) SETS="${arg#*=}" ;;
  esac
done
# param NAME SET DEFAULT: pmt.NAME<SET>, else pmt.NAME, else DEFAULT.
param() {
  local v
  v="$(tr ' ' '\n' </proc/cmdline | sed -n "s/^pmt\.$1$2=//p" | tail -n 1)"
  [ -n "$v" ] || v="$(tr ' ' '\n' </proc/cmdline | sed -n "s/^pmt\.$1=//p" | tail -n 1)"
  echo "${v:-$3}"
}

now() { cut -d' ' -f1 /proc/uptime; }
kv() { echo "PMT-DMWC: $*"; }
dm_dmesg() { dmesg | grep -iE 'device-mapper|writecache|dm-[0-9]' | sed 's/^/PMT-DMWC-DMESG: /'; }
finish() {   # $1 = PASS|FAIL, rest = details; always the last thing the guest does
  local verdict="$1"; shift
  dm_dmesg
  if [ "$verdict" = FAIL ]; then
    echo "---- dmesg (tail) ----"; dmesg | tail -n 30
  fi
  echo "PMTARGET-GUEST: $verdict $(echo "$*" | tr '\n' ' ') (uptime=$(now)s)"
  sleep 1   # let the serial line drain before the power goes
  poweroff -f
}
fail() { finish FAIL "$*"; }

for m in $(cat /lib/modules/load-order); do
  insmod "/lib/modules/$m" || fail "insmod $m"
done

disk() {   # serial -> /dev/vdX (the host names every disk by its virtio serial)
  local i=0 d
  while [ $i -lt 50 ]; do
    for d in /sys/block/vd*; do
      [ -e "$d/serial" ] && [ "$(cat "$d/serial")" = "$1" ] && echo "/dev/${d##*/}" && return 0
    done
    sleep 0.1; i=$((i + 1))
  done
  return 1
}
# Optional arguments: "<count> name value name value ..." as the table wants them.
opt_args() {   # $1 = name:value,name:value,...
  local args= n=0 o
  for o in $(echo "$1" | tr ',' ' '); do
    args="$args ${o%%:*} ${o#*:}"; n=$((n + 2))
  done
  echo "$n$args"
}

create() {   # $1 name, $2 backing disk, $3 cache disk, $4 block size, $5 wcopts
  local sectors table
  sectors="$(blockdev --getsz "$2")" || fail "blockdev --getsz $2"
  table="0 $sectors writecache s $2 $3 $4 $(opt_args "$5")"
  kv "$1 table=$table"
  $DMSETUP create "$1" --table "$table" >/tmp/create.log 2>&1 \
    || fail "dmsetup create $1 refused: $(cat /tmp/create.log) / $(dmesg | grep -i writecache | tail -n 3)"
  [ -b "/dev/mapper/$1" ] || fail "no /dev/mapper/$1 after create"
}
refuse() {   # like create, but the kernel must refuse the table (a negative control)
  local sectors table
  sectors="$(blockdev --getsz "$2")" || fail "blockdev --getsz $2"
  table="0 $sectors writecache s $2 $3 $4 $(opt_args "$5")"
  kv "$1 table=$table"
  if $DMSETUP create "$1" --table "$table" >/tmp/create.log 2>&1; then
    fail "dmsetup create $1 accepted a table it must refuse: $table"
  fi
  kv "$1 refused=$(dmesg | grep -i 'writecache' | tail -n 1 | sed 's/^\[[^]]*\] *//')"
}
status() { kv "$1 status=$($DMSETUP status "$1" 2>&1)"; }

commit() {   # $1 set, $2 phase: an fsync of the mapped device is a REQ_PREFLUSH = a commit
  dd if=/dev/null of="/dev/mapper/wc$1" count=0 conv=notrunc,fsync 2>/dev/null || fail "fsync wc$1 after phase $2"
  kv "wc$1 committed phase $2"
}
field() { echo "$2" | tr -s ' ' | cut -d' ' -f"$1"; }
start_writeback() {   # $1 set: write back everything committed, in the background; wait until it runs
  local st used wb n=0
  $DMSETUP message "wc$1" 0 flush >/tmp/wb$1.log 2>&1 &
  while [ $n -lt 100 ]; do
    st="$($DMSETUP status "wc$1")"
    used=$(( $(field 5 "$st") - $(field 6 "$st") )); wb="$(field 7 "$st")"
    if [ "$wb" -gt 0 ] && [ "$wb" -eq "$used" ]; then
      kv "wc$1 writeback started=$wb"
      return 0
    fi
    sleep 0.05; n=$((n + 1))
  done
  fail "wc$1: writeback of $used used blocks did not start (status $st; $(cat /tmp/wb$1.log))"
}
write_set() {   # $1 set number
  local B C BS DELAY LAST=0 op phase dst src blocks sectors
  B="$(disk "b$1")" || fail "no disk with serial b$1"
  C="$(disk "c$1")" || fail "no disk with serial c$1"
  BS="$(param bs "$1" 4096)"; DELAY="$(param delay "$1" 0)"
  if [ "$DELAY" -gt 0 ]; then
    # Reads and flushes pass at once, writes wait DELAY ms (dm-delay: read, write, flush classes).
    sectors="$(blockdev --getsz "$B")" || fail "blockdev --getsz $B"
    $DMSETUP create "bd$1" --table "0 $sectors delay $B 0 0 $B 0 $DELAY $B 0 0" >/tmp/create.log 2>&1 \
      || fail "dmsetup create bd$1 (delay) refused: $(cat /tmp/create.log) / $(dmesg | tail -n 3)"
    B="/dev/mapper/bd$1"
  fi
  create "wc$1" "$B" "$C" "$BS" "$(param wcopts "$1")"
  status "wc$1"
  for op in $(param ops "$1" | tr ',' ' '); do
    if [ "$op" = wb ]; then
      if [ "$LAST" -ge 1 ] && [ "$LAST" -le 2 ]; then commit "$1" "$LAST"; fi
      LAST=0
      start_writeback "$1"
      continue
    fi
    IFS=: read -r phase dst src blocks <<EOF
$op
EOF
    if [ "$phase" != "$LAST" ] && [ "$LAST" -ge 1 ] && [ "$LAST" -le 2 ]; then
      commit "$1" "$LAST"
    fi
    LAST="$phase"
    # O_DIRECT needs a 512-aligned buffer: busybox dd mallocs bs bytes (only 16-aligned when small)
    # and silently retries without O_DIRECT on EINVAL, so a bs of 512 or 2048 would become
    # page-cache read-modify-writes of whole 4 KiB pages. A 1 MiB buffer is page-aligned; the
    # offsets and lengths go in bytes.
    dd if="$IN" of="/dev/mapper/wc$1" bs=1048576 skip=$((src * BS)) seek=$((dst * BS)) count=$((blocks * BS)) \
      iflag=direct,skip_bytes,count_bytes oflag=direct,seek_bytes 2>/tmp/dd.log || fail "wc$1 op $op: $(cat /tmp/dd.log)"
    NOPS=$((NOPS + 1))
  done
  if [ "$LAST" -ge 1 ] && [ "$LAST" -le 2 ]; then commit "$1" "$LAST"; fi
  status "wc$1"
}

kv "mode=$MODE sets=$SETS kernel=$(uname -r) init_at=$(now)"
case "$MODE" in
  read)
    i=1
    while [ $i -le "$SETS" ]; do
      B="$(disk "b$i")" || fail "no disk with serial b$i"
      C="$(disk "c$i")" || fail "no disk with serial c$i"
      if [ "$(param expect "$i")" = refuse ]; then
        refuse "wc$i" "$B" "$C" "$(param bs "$i" 4096)" "$(param wcopts "$i")"
        i=$((i + 1)); continue
      fi
      O="$(disk "o$i")" || fail "no disk with serial o$i"
      create "wc$i" "$B" "$C" "$(param bs "$i" 4096)" "$(param wcopts "$i")"
      status "wc$i"
      dd if="/dev/mapper/wc$i" of="$O" bs=1M iflag=direct oflag=direct conv=fsync 2>/tmp/dd.log \
        || fail "copy wc$i -> $O: $(cat /tmp/dd.log)"
      kv "wc$i sha256=$(sha256sum "/dev/mapper/wc$i" | cut -d' ' -f1)"
      status "wc$i"
      $DMSETUP remove "wc$i" >/tmp/remove.log 2>&1 || fail "dmsetup remove wc$i: $(cat /tmp/remove.log)"
      i=$((i + 1))
    done
    finish PASS "mode=read sets=$SETS"
    ;;
  write)
    IN="$(disk in)" || fail "no disk with serial in"
    NOPS=0; i=1
    while [ $i -le "$SETS" ]; do
      write_set "$i"
      i=$((i + 1))
    done
    # No `dmsetup remove` (its suspend would commit phase 3): power goes off with the tables live.
    finish PASS "mode=write sets=$SETS ops=$NOPS"
    ;;
  *) fail "pmt.dmwc must be read or write, not '$MODE'" ;;
esac
