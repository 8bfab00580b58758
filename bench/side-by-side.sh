#!/usr/bin/env bash
# Side-by-side benchmark (issue 6): pmtarget vs tgtd vs jSCSI over loopback with fio's libiscsi engine.
#   bench/side-by-side.sh [--quick] [--scenario tmpfs|disk] [--targets tgtd,jscsi,pmtarget] [--rounds N] ...
# (default targets: all three; `--targets tgtd,jscsi` leaves our server out)
# Installs its dependencies first (.ci/install-bench-deps.sh, idempotent; skip with BENCH_NO_INSTALL=1),
# builds the pmtarget jar when pmtarget is among the targets, and writes
# bench/results/<date>-<scenario>[-quick].{md,png}. `--help` lists every option. Needs root (tgtd, apt).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [ "${BENCH_NO_INSTALL:-0}" != 1 ]; then
  ./.ci/install-bench-deps.sh
fi
# pmtarget is among the targets unless --targets names others only.
targets="tgtd,jscsi,pmtarget"
prev=""
for arg in "$@"; do
  case "$arg" in
    --targets=*) targets="${arg#--targets=}" ;;
  esac
  if [ "$prev" = "--targets" ]; then targets="$arg"; fi
  prev="$arg"
done
case ",$targets," in
  *,pmtarget,*)
    # The server's jar (pmtarget.sh runs it); build it once here so the benchmark never times a build.
    mvn -B -ntp -q -pl target-server -am package -DskipTests
    ;;
esac
# Debian's python3 (python3-matplotlib is installed for it; a pyenv python3 on PATH would lack it).
exec "${PYTHON:-/usr/bin/python3}" -m bench.sbs.main "$@"
