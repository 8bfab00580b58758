#!/usr/bin/env bash
# Runs the JMH benchmarks of one module: every @Benchmark in MODULE/src/test/java. They are compiled with
# the test sources (the JMH annotation processor writes META-INF/BenchmarkList) but never run by
# `mvn test`/`mvn verify`. bench/engine-jmh.sh (cache-engine: pmem and volume benchmarks) and
# bench/server-jmh.sh (target-server: the per-command path) call this.
#
# Usage: bench/jmh.sh MODULE [JMH options] [benchmark regexp]
#   bench/jmh.sh cache-engine -f 1 -wi 2 -i 3 PmemBenchmark
#   JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 bench/jmh.sh cache-engine -f 1 -wi 2 -i 3 -p persistence=native
#   bench/jmh.sh target-server -l     # list benchmarks
# Extra JVM options for the forked benchmark JVMs: JMH_JVM_ARGS="-Xmx1g".
set -euo pipefail
cd "$(dirname "$0")/.."
module="${1:?usage: bench/jmh.sh MODULE [JMH options] [benchmark regexp]}"
shift
[ -f "$module/pom.xml" ] || { echo "bench/jmh.sh: no module $module" >&2; exit 2; }

JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
# One invocation, so a module's reactor dependencies (cache-engine for target-server) resolve to their
# freshly compiled classes, not to whatever an earlier `mvn install` left in the local repository.
mvn -B -ntp -q -pl "$module" -am test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile=target/jmh.classpath
CP="$module/target/test-classes:$module/target/classes:$(cat "$module/target/jmh.classpath")"

# The same module flags the tests use (parent pom: chronicle.jvm.flags, plus the jdk23plus profile's).
FLAGS="$(sed -n 's:.*<chronicle.jvm.flags>\(.*\)</chronicle.jvm.flags>.*:\1:p' pom.xml)"
[ -n "$FLAGS" ] || { echo "chronicle.jvm.flags not found in pom.xml" >&2; exit 1; }
SPEC="$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
if [ "${SPEC%%.*}" -ge 23 ]; then
    FLAGS="$FLAGS --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow"
fi

# shellcheck disable=SC2086 # FLAGS is a list of options
exec "$JAVA" $FLAGS -cp "$CP" org.openjdk.jmh.Main -jvmArgsAppend "$FLAGS ${JMH_JVM_ARGS:-}" "$@"
