package dev.tapir.engine.stack.tcp;

/**
 * Settings of one connection, copied when the socket is made (later changes don't reach it). Fluent setters; the
 * defaults suit throughput runs on a fast link.
 */
public final class TcpConfig {
    int sendBufferBytes = 4 << 20;
    int receiveBufferBytes = 4 << 20;
    int mss;
    String congestion = "cubic";
    long delayedAckNanos;
    boolean timestamps = true;
    boolean sack = true;
    boolean windowScaling = true;
    long mslNanos = 30_000_000_000L;
    long initialRtoNanos = 1_000_000_000L;
    long minRtoNanos = 200_000_000L;
    long maxRtoNanos = 60_000_000_000L;
    int maxRetransmits = 15;
    int maxSynRetransmits = 6;
    int initialWindowSegments = 10;

    public TcpConfig copy() {
        TcpConfig c = new TcpConfig();
        c.sendBufferBytes = sendBufferBytes;
        c.receiveBufferBytes = receiveBufferBytes;
        c.mss = mss;
        c.congestion = congestion;
        c.delayedAckNanos = delayedAckNanos;
        c.timestamps = timestamps;
        c.sack = sack;
        c.windowScaling = windowScaling;
        c.mslNanos = mslNanos;
        c.initialRtoNanos = initialRtoNanos;
        c.minRtoNanos = minRtoNanos;
        c.maxRtoNanos = maxRtoNanos;
        c.maxRetransmits = maxRetransmits;
        c.maxSynRetransmits = maxSynRetransmits;
        c.initialWindowSegments = initialWindowSegments;
        return c;
    }

    /** Send ring size, rounded up to a power of two. */
    public TcpConfig sendBufferBytes(int bytes) {
        this.sendBufferBytes = bytes;
        return this;
    }

    /** Receive ring size, rounded up to a power of two; it bounds the advertised window. */
    public TcpConfig receiveBufferBytes(int bytes) {
        this.receiveBufferBytes = bytes;
        return this;
    }

    /** MSS to announce and to cap sending at (iperf {@code -M}); 0 derives it from the route MTU. */
    public TcpConfig mss(int mss) {
        this.mss = mss;
        return this;
    }

    /** {@code cubic} or {@code reno}/{@code newreno}. */
    public TcpConfig congestion(String name) {
        if (CongestionControl.named(name) == null) {
            throw new IllegalArgumentException("unknown congestion control: " + name);
        }
        this.congestion = name;
        return this;
    }

    /** How long an ACK for in-order data may wait (RFC 9293 §3.8.6.3); 0 ACKs at the next poll. */
    public TcpConfig delayedAckNanos(long nanos) {
        this.delayedAckNanos = nanos;
        return this;
    }

    public TcpConfig timestamps(boolean on) {
        this.timestamps = on;
        return this;
    }

    public TcpConfig sack(boolean on) {
        this.sack = on;
        return this;
    }

    public TcpConfig windowScaling(boolean on) {
        this.windowScaling = on;
        return this;
    }

    /** Maximum segment lifetime; TIME_WAIT lasts twice this. */
    public TcpConfig mslNanos(long nanos) {
        this.mslNanos = nanos;
        return this;
    }

    public TcpConfig initialRtoNanos(long nanos) {
        this.initialRtoNanos = nanos;
        return this;
    }

    /** Lower bound of the RTO; RFC 6298 says 1 s, Linux uses 200 ms (the default here). */
    public TcpConfig minRtoNanos(long nanos) {
        this.minRtoNanos = nanos;
        return this;
    }

    public TcpConfig maxRtoNanos(long nanos) {
        this.maxRtoNanos = nanos;
        return this;
    }

    /** Consecutive expiries of the retransmission timer after which the connection is dropped. */
    public TcpConfig maxRetransmits(int count) {
        this.maxRetransmits = count;
        return this;
    }

    public TcpConfig maxSynRetransmits(int count) {
        this.maxSynRetransmits = count;
        return this;
    }

    /** Initial congestion window in segments (RFC 6928 allows 10). */
    public TcpConfig initialWindowSegments(int segments) {
        this.initialWindowSegments = segments;
        return this;
    }
}
