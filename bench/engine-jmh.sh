#!/usr/bin/env bash
# JMH benchmarks of cache-engine (pmem, and the volume benchmarks under io.pmtarget.engine.bench); see bench/jmh.sh.
#   bench/engine-jmh.sh -f 1 -wi 2 -i 3 [benchmark regexp]
exec "$(dirname "$0")/jmh.sh" cache-engine "$@"
