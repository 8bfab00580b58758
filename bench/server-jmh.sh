#!/usr/bin/env bash
# JMH benchmarks of target-server (CommandPathBenchmark: one iSCSI command through decoder, session, SCSI, cache volume and encoder, without sockets); see bench/jmh.sh.
#   bench/server-jmh.sh -f 1 -wi 2 -i 3 [benchmark regexp]
exec "$(dirname "$0")/jmh.sh" target-server "$@"
