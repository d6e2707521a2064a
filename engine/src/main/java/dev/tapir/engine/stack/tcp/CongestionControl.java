package dev.tapir.engine.stack.tcp;

/**
 * A congestion control algorithm: owns cwnd and ssthresh, in bytes. The socket tells it what happened; loss recovery
 * (which segments to resend, the pipe) stays in the socket. Called from the stack thread only.
 */
public interface CongestionControl {
    /** Name as Linux spells it ({@code reno}, {@code cubic}). */
    String name();

    /** Starts over for a sender with segment size {@code mss} and an initial window of {@code initialWindow} bytes. */
    void init(int mss, long initialWindow);

    long congestionWindow();

    long slowStartThreshold();

    /** {@code ackedBytes} newly acknowledged outside loss recovery; {@code srttNanos} is 0 before the first sample. */
    void onAck(long nowNanos, long ackedBytes, long srttNanos);

    /** Loss detected by duplicate ACKs or SACK: recovery starts with {@code flightBytes} outstanding. */
    void onLoss(long nowNanos, long flightBytes);

    /** Loss recovery ended with a full acknowledgment. */
    void onRecoveryEnd(long nowNanos);

    /** The retransmission timer expired with {@code flightBytes} outstanding. */
    void onTimeout(long nowNanos, long flightBytes);

    /** The algorithm {@code name} names ({@code reno}/{@code newreno} or {@code cubic}), or null if unknown. */
    static CongestionControl named(String name) {
        return switch (name) {
            case "reno", "newreno" -> new NewReno();
            case "cubic" -> new Cubic();
            default -> null;
        };
    }
}
