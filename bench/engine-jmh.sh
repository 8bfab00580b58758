#!/usr/bin/env bash
# Runs the JMH benchmarks of cache-engine: every @Benchmark in cache-engine/src/test/java (pmem, and the
# volume benchmarks under io.pmtarget.engine.bench). They are compiled with the test sources (the JMH
# annotation processor writes META-INF/BenchmarkList) but never run by `mvn test`/`mvn verify`.
#
# Usage: bench/engine-jmh.sh [JMH options] [benchmark regexp]
#   bench/engine-jmh.sh -f 1 -wi 2 -i 3 PmemBenchmark
#   JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 bench/engine-jmh.sh -f 1 -wi 2 -i 3 -p persistence=native
#   bench/engine-jmh.sh -l            # list benchmarks
# Extra JVM options for the forked benchmark JVMs: JMH_JVM_ARGS="-Xmx1g".
set -euo pipefail
cd "$(dirname "$0")/.."

JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
mvn -B -ntp -q -pl cache-engine -am test-compile
mvn -B -ntp -q -pl cache-engine dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile=target/jmh.classpath
CP="cache-engine/target/test-classes:cache-engine/target/classes:$(cat cache-engine/target/jmh.classpath)"

# The same module flags the tests use (parent pom: chronicle.jvm.flags, plus the jdk23plus profile's).
FLAGS="$(sed -n 's:.*<chronicle.jvm.flags>\(.*\)</chronicle.jvm.flags>.*:\1:p' pom.xml)"
[ -n "$FLAGS" ] || { echo "chronicle.jvm.flags not found in pom.xml" >&2; exit 1; }
SPEC="$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
if [ "${SPEC%%.*}" -ge 23 ]; then
    FLAGS="$FLAGS --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow"
fi

# shellcheck disable=SC2086 # FLAGS is a list of options
exec "$JAVA" $FLAGS -cp "$CP" org.openjdk.jmh.Main -jvmArgsAppend "$FLAGS ${JMH_JVM_ARGS:-}" "$@"
