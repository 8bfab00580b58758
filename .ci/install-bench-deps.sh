#!/usr/bin/env bash
# Installs what bench/side-by-side.sh needs. Idempotent: every step checks whether its result exists.
# Run by the benchmark command, not by CI's test command (building fio takes minutes).
#   - Debian packages: tgt (tgtd), libiscsi-dev/libiscsi-bin, python3-matplotlib, maven, fio's build deps
#   - fio built from Debian's source package with --enable-libiscsi (Debian's fio binary has no libiscsi
#     engine), cached under build/cache/fio-<version>/fio, plus a READ(10)/WRITE(10) variant in
#     build/cache/fio-<version>-cdb10/fio for jSCSI and a SYNCHRONIZE CACHE range fix in
#     build/cache/fio-<version>-sc0/fio for the fsync workload
#   - the jSCSI target (org.jscsi:target:2.5.2) and its runtime classpath, via bench/jscsi/pom.xml
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CACHE=$ROOT/build/cache
mkdir -p "$CACHE"
export DEBIAN_FRONTEND=noninteractive

need_pkgs=()
for p in tgt libiscsi-dev libiscsi-bin python3-matplotlib maven dpkg-dev build-essential; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need_pkgs+=("$p")
done

# deb-src entry mirroring the existing deb822 sources (same URIs and suites), so `apt-get source fio` works.
SRC_LIST=/etc/apt/sources.list.d/pmtarget-bench-src.sources
if [ ! -f "$SRC_LIST" ]; then
  awk 'BEGIN{RS="";ORS="\n\n"} /Types: deb/ && /deb.debian.org/ {sub(/Types: deb/,"Types: deb-src"); print}' \
    /etc/apt/sources.list.d/debian.sources > "$SRC_LIST"
  updated=no
else
  updated=yes
fi

fio_stock() { ls -d "$CACHE"/fio-*/fio 2>/dev/null | grep -v -e '-cdb10/' -e '-sc0/' | head -1 || true; }
FIO_BIN=$(fio_stock)
if [ ${#need_pkgs[@]} -gt 0 ] || [ -z "$FIO_BIN" ]; then
  if [ "$updated" = no ] || [ ${#need_pkgs[@]} -gt 0 ] || ! apt-cache showsrc fio >/dev/null 2>&1; then
    apt-get update -qq
  fi
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}"
fi

if [ -z "$FIO_BIN" ]; then
  apt-get build-dep -y -qq fio
  work=$CACHE/fio-src
  rm -rf "$work" && mkdir -p "$work"
  (cd "$work" && apt-get source -qq fio)
  srcdir=$(ls -d "$work"/fio-*/ | head -1)
  ver=$(basename "$srcdir")
  (cd "$srcdir" && ./configure --enable-libiscsi >configure.log && make -j"$(nproc)" >make.log 2>&1)
  # Prove the engine is really compiled in before caching the binary.
  "$srcdir/fio" --enghelp | grep -qw libiscsi || { echo "fio built without libiscsi engine" >&2; exit 1; }
  rm -rf "${CACHE:?}/$ver" && mv "$srcdir" "$CACHE/$ver"
  rm -rf "$work"
  FIO_BIN=$CACHE/$ver/fio
fi
echo "fio: $FIO_BIN ($("$FIO_BIN" --version))"

# fio's libiscsi engine hard-codes READ(16)/WRITE(16) (engines/libiscsi.c) and has no option for
# 10-byte CDBs; the jSCSI target implements only READ(10)/WRITE(10). A second binary with the
# engine switched to READ(10)/WRITE(10) (same libiscsi argument lists) lets jSCSI run at all.
# Only the CDB differs: 10-byte CDBs address 2^32 blocks, plenty for the benchmark's LUNs.
FIO_SRC=$(dirname "$FIO_BIN")
FIO10_DIR=$FIO_SRC-cdb10
if [ ! -x "$FIO10_DIR/fio" ]; then
  rm -rf "$FIO10_DIR" && cp -a "$FIO_SRC" "$FIO10_DIR"
  sed -i -e 's/scsi_cdb_read16(/scsi_cdb_read10(/' -e 's/scsi_cdb_write16(/scsi_cdb_write10(/' \
    "$FIO10_DIR/engines/libiscsi.c"
  grep -q 'scsi_cdb_write10(' "$FIO10_DIR/engines/libiscsi.c" || { echo "cdb10 patch did not apply" >&2; exit 1; }
  (cd "$FIO10_DIR" && make -j"$(nproc)" >make-cdb10.log 2>&1)
fi
echo "fio (10-byte CDBs, for jSCSI): $FIO10_DIR/fio"

# The engine's SYNCHRONIZE CACHE(16) (sent for --fsync) passes the LUN size in bytes as NUMBER OF
# LOGICAL BLOCKS, a range past the LUN's end: tgtd ignores it, a target that range-checks (SBC-4 5.26)
# answers LBA OUT OF RANGE. The -sc0 binary sends NUMBER OF LOGICAL BLOCKS 0 ("through the last LBA",
# the whole-LUN flush the engine means); the harness uses it for the fsync workload.
FIOSC_DIR=$FIO_SRC-sc0
if [ ! -x "$FIOSC_DIR/fio" ]; then
  rm -rf "$FIOSC_DIR" && cp -a "$FIO_SRC" "$FIOSC_DIR"
  sed -i 's/0, iscsi_lun->num_blocks \* iscsi_lun->block_size, 0, 0);/0, 0, 0, 0);/' \
    "$FIOSC_DIR/engines/libiscsi.c"
  grep -q 'synchronizecache16($' "$FIOSC_DIR/engines/libiscsi.c" && \
    grep -A1 'synchronizecache16($' "$FIOSC_DIR/engines/libiscsi.c" | grep -q '0, 0, 0, 0);' || \
    { echo "sc0 patch did not apply" >&2; exit 1; }
  (cd "$FIOSC_DIR" && make -j"$(nproc)" >make-sc0.log 2>&1)
fi
echo "fio (SYNCHRONIZE CACHE over the whole LUN, for --fsync): $FIOSC_DIR/fio"

# jSCSI target: resolve its runtime classpath from Maven Central into build/cache/jscsi/lib.
JSCSI_LIB=$CACHE/jscsi/lib
if [ ! -f "$JSCSI_LIB/target-2.5.2.jar" ]; then
  mvn -B -ntp -q -f bench/jscsi/pom.xml dependency:copy-dependencies \
    -DoutputDirectory="$JSCSI_LIB" -DincludeScope=runtime
fi
echo "jSCSI: $(ls "$JSCSI_LIB" | wc -l) jars in $JSCSI_LIB"
