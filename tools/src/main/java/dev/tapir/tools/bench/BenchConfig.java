package dev.tapir.tools.bench;

import java.nio.file.Path;
import java.util.List;

/**
 * What a sweep runs: every tool at every length, {@code iterations} times, interleaved so that drifting machine load
 * hits all tools alike.
 *
 * @param udpRate the UDP target rate in iperf3's notation ("0" = unlimited)
 * @param tapirCommand how to start tapir (java, JVM flags, -jar, jar path), before its subcommand
 * @param tapirArgs extra arguments for the tapir client
 * @param idleWaitSeconds how long to wait before each run for the machine to be idle (0 = do not wait)
 */
public record BenchConfig(List<Tool> tools, boolean udp, List<Integer> lengths, int iterations, int seconds,
        String udpRate, List<String> tapirCommand, List<String> tapirArgs, Path outputDirectory, int idleWaitSeconds) {
    public BenchConfig {
        if (tools.isEmpty() || lengths.isEmpty()) {
            throw new IllegalArgumentException("bench needs at least one tool and one length");
        }
        if (iterations < 1 || seconds < 1 || idleWaitSeconds < 0) {
            throw new IllegalArgumentException("bench needs --iterations >= 1, --time >= 1 and --idle-wait >= 0");
        }
        tools = List.copyOf(tools);
        lengths = List.copyOf(lengths);
        tapirCommand = List.copyOf(tapirCommand);
        tapirArgs = List.copyOf(tapirArgs);
    }

    public String protocol() {
        return udp ? "udp" : "tcp";
    }
}
