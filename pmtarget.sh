#!/usr/bin/env bash
# pmtarget launcher: builds the project when the jars are missing or older than the sources, then
# runs the server CLI with the JVM flags Chronicle Bytes needs.
#   ./pmtarget.sh serve [--config FILE] [--data-dir DIR]
#   ./pmtarget.sh status [VOLUME] | flush VOLUME | cleaner VOLUME | version | check-config FILE
# Environment: JAVA (java binary; default $JAVA_HOME/bin/java, else java), MVN (default mvn),
# PMTARGET_JAVA_OPTS (extra JVM options, e.g. -Xmx2g), PMTARGET_NO_BUILD=1 (never build).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
jar_dir="$root/target-server/target"
mvn_cmd="${MVN:-mvn}"
if [ -n "${JAVA:-}" ]; then
  java_cmd="$JAVA"
elif [ -n "${JAVA_HOME:-}" ]; then
  java_cmd="$JAVA_HOME/bin/java"
else
  java_cmd="java"
fi

find_jar() {
  # The runnable jar of target-server (not -sources/-tests/-javadoc).
  local jar
  for jar in "$jar_dir"/target-server-*.jar; do
    case "$jar" in
      *-sources.jar|*-tests.jar|*-javadoc.jar) ;;
      *) if [ -f "$jar" ]; then printf '%s\n' "$jar"; return 0; fi ;;
    esac
  done
  return 1
}

needs_build() {
  local jar
  jar="$(find_jar)" || return 0
  [ -d "$jar_dir/lib" ] || return 0
  # Any pom, source, resource or default config newer than the jar means a rebuild.
  # (Only src/ trees: a -name target prune would also skip the Java package io/pmtarget/target.)
  [ -n "$(find "$root/pom.xml" "$root/conf" "$root/cache-engine/pom.xml" "$root/cache-engine/src" \
        "$root/target-server/pom.xml" "$root/target-server/src" -type f -newer "$jar" -print -quit)" ]
}

if [ "${PMTARGET_NO_BUILD:-0}" != 1 ] && needs_build; then
  echo "pmtarget.sh: building (mvn -B -q -ntp -DskipTests package)..." >&2
  (cd "$root" && "$mvn_cmd" -B -q -ntp -DskipTests -pl target-server -am package) >&2
fi
jar="$(find_jar)" || { echo "pmtarget.sh: no target-server jar under $jar_dir (did the build fail?)" >&2; exit 1; }

# Run from a snapshot of the jars, never from target/: a rebuild replaces those files, and a JVM that
# later loads a class from a replaced jar fails (seen: a server that logged SIGTERM but could not run
# its stop path). Snapshots are keyed by content, so an unchanged build reuses its snapshot.
run_root="$root/build/run"
key="$(cat "$jar" "$jar_dir"/lib/*.jar | sha1sum | cut -c1-16)"
run_dir="$run_root/$key"
if [ ! -d "$run_dir" ]; then
  mkdir -p "$run_root"
  tmp_dir="$(mktemp -d "$run_root/.tmp.XXXXXX")"
  cp "$jar" "$tmp_dir/" && cp -r "$jar_dir/lib" "$tmp_dir/lib"
  mv -T "$tmp_dir" "$run_dir" 2>/dev/null || rm -rf "$tmp_dir" # another launcher made it first
  # Old snapshots: a week without use is long enough for any server started from one to be gone.
  find "$run_root" -mindepth 1 -maxdepth 1 -type d -mtime +7 -exec rm -rf {} + 2>/dev/null || true
fi
touch "$run_dir"
jar="$run_dir/$(basename "$jar")"

# The JVM flags live in one place: the parent pom's chronicle.jvm.flags property.
chronicle_flags="$(sed -n 's:.*<chronicle.jvm.flags>\(.*\)</chronicle.jvm.flags>.*:\1:p' "$root/pom.xml")"
if [ -z "$chronicle_flags" ]; then
  echo "pmtarget.sh: cannot read chronicle.jvm.flags from $root/pom.xml" >&2
  exit 1
fi
# JDK 23+ also needs native access and sun.misc.Unsafe memory access allowed (see the jdk23plus profile).
java_major="$("$java_cmd" -XshowSettings:properties -version 2>&1 \
  | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p')"
extra_flags=""
if [ -n "$java_major" ] && [ "$java_major" -ge 23 ]; then
  extra_flags="--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow"
fi

# shellcheck disable=SC2086 # the flag variables are word lists by design
exec "$java_cmd" $chronicle_flags $extra_flags ${PMTARGET_JAVA_OPTS:-} -jar "$jar" "$@"
