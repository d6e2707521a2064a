package dev.tapir.engine.report;

/**
 * A TCP sender's connection figures over a test (iperf3's end.streams[].sender extras). -1 = unknown.
 *
 * @param retransmits segments retransmitted during the test
 */
public record TcpFigures(long retransmits, long maxSndCwnd, long maxSndWnd, long maxRttMicros, long minRttMicros,
        long meanRttMicros) {
    public static final TcpFigures UNKNOWN = new TcpFigures(-1, -1, -1, -1, -1, -1);
}
