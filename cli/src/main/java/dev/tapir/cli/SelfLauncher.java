package dev.tapir.cli;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;

/** How to start this same tapir again as a child process (the bench harness runs tapir servers and clients). */
final class SelfLauncher {
    private SelfLauncher() {
    }

    static List<String> command() {
        String java = ProcessHandle.current().info().command().orElse("java");
        try {
            Path jar = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (jar.toString().endsWith(".jar")) {
                return List.of(java, "-jar", jar.toString());
            }
        } catch (URISyntaxException | SecurityException e) {
            // fall through to the class path form
        }
        return List.of(java, "--enable-native-access=ALL-UNNAMED",
                "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Main.class.getName());
    }
}
