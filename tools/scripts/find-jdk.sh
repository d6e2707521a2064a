# Sourced: sets JAVA_HOME to a JDK >= 22 (tapir's FFM floor), preferring JAVA_HOME if it qualifies, then the newest
# under /usr/lib/jvm. Prints one line and returns non-zero when there is none.
tapir_jdk_feature() { # prints the feature version of the JDK at $1, or nothing
    [ -x "$1/bin/javac" ] || return 0
    "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p'
}
tapir_find_jdk() {
    local candidate feature best="" best_feature=0
    for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/* /opt/java/* /opt/jdk*; do
        [ -n "$candidate" ] && [ -d "$candidate" ] || continue
        feature=$(tapir_jdk_feature "$candidate")
        [ -n "$feature" ] || continue
        if [ "$candidate" = "${JAVA_HOME:-}" ] && [ "$feature" -ge 22 ]; then best=$candidate; break; fi
        if [ "$feature" -ge 22 ] && [ "$feature" -gt "$best_feature" ]; then best=$candidate; best_feature=$feature; fi
    done
    [ -n "$best" ] || return 1
    JAVA_HOME=$best
}
if ! tapir_find_jdk; then
    echo "tapir needs a JDK 22 or newer: install one (e.g. Temurin 25 under /usr/lib/jvm) or set JAVA_HOME to it" >&2
    return 1 2>/dev/null || exit 1
fi
