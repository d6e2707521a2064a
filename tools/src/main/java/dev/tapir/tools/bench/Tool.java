package dev.tapir.tools.bench;

import java.util.Locale;

/** A throughput tool the harness can run as a server and client pair of processes on loopback. */
public enum Tool {
    /** tapir on kernel sockets, speaking iperf3's protocol (UDP with GSO/GRO batching). */
    TAPIR("tapir"),
    /** tapir's UDP on the plain path ({@code --no-gso}): sendmmsg/recvmmsg, one datagram per message. */
    TAPIR_NO_GSO("tapir-nogso"),
    /** tapir's TCP with a system call per block ({@code --no-io-uring}), as iperf writes. */
    TAPIR_NO_IO_URING("tapir-nouring"),
    /** The C iperf3 (the baseline at large buffers and for UDP). */
    IPERF3("iperf3"),
    /** The C iperf 2 (the baseline at small TCP buffers). */
    IPERF2("iperf2");

    private final String label;

    Tool(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** True for tapir's own variants: the ones whose ratios to the C tools are printed. */
    public boolean isTapir() {
        return this == TAPIR || this == TAPIR_NO_GSO || this == TAPIR_NO_IO_URING;
    }

    /** The tool named by {@code label} (case-insensitive), or null. */
    public static Tool byLabel(String label) {
        String wanted = label.trim().toLowerCase(Locale.ROOT);
        for (Tool tool : values()) {
            if (tool.label.equals(wanted)) {
                return tool;
            }
        }
        return null;
    }
}
