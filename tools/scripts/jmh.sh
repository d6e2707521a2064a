#!/usr/bin/env bash
# Runs the JMH benchmarks of the userspace stack (dev.tapir.tools.jmh) from the tapir jar, building it if needed.
# Arguments go to JMH: a benchmark name pattern and options, e.g.
#   tools/scripts/jmh.sh                                   # all: ChecksumBenchmark, HeaderBenchmark, MemoryLinkBenchmark
#   tools/scripts/jmh.sh ChecksumBenchmark -p size=1500    # one benchmark, one size
#   tools/scripts/jmh.sh -l                                # list them
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
"$root/tapir" --version >/dev/null    # builds cli/target/tapir.jar when sources changed
# shellcheck source=tools/scripts/find-jdk.sh
. "$root/tools/scripts/find-jdk.sh"
[ $# -eq 0 ] && set -- 'dev.tapir.tools.jmh'
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED \
    --sun-misc-unsafe-memory-access=allow -cp "$root/cli/target/tapir.jar" org.openjdk.jmh.Main "$@"
