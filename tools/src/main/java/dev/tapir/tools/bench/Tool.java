package dev.tapir.tools.bench;

/** A throughput tool the harness can run as a server and client pair of processes on loopback. */
public enum Tool {
    /** tapir on kernel sockets, speaking iperf3's protocol. */
    TAPIR,
    /** The C iperf3 (the baseline at large buffers and for UDP). */
    IPERF3,
    /** The C iperf 2 (the baseline at small TCP buffers). */
    IPERF2;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
