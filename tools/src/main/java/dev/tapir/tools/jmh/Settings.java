package dev.tapir.tools.jmh;

/** JVM flags every benchmark fork needs: FFM native access, and Agrona's access to jdk.internal.misc.Unsafe. */
final class Settings {
    static final String NATIVE_ACCESS = "--enable-native-access=ALL-UNNAMED";
    static final String AGRONA_UNSAFE = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED";

    private Settings() {
    }
}
