package dev.tapir.engine.transport;

/** A reusable holder for the figures iperf3 reports per TCP stream; filled by {@link StreamConnection#tcpStats}. */
public final class TcpStats {
    /** Segments retransmitted since the connection opened. */
    public long retransmits;
    /** Congestion window, bytes. */
    public long congestionWindowBytes;
    /** Smoothed round-trip time, microseconds. */
    public long rttMicros;
    /** The peer's advertised receive window, bytes (0 when unknown; iperf3's snd_wnd). */
    public long sendWindowBytes;
    /** Round-trip time variance, microseconds. */
    public long rttVarianceMicros;
    /** Maximum segment size in use for sending, bytes. */
    public int sendMss;
    /** Path MTU, bytes (0 when unknown). */
    public int pathMtu;
    /** Congestion control algorithm in use, or null. */
    public String congestion;
}
