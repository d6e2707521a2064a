package dev.tapir.engine.stack.tcp;

/**
 * The retransmission timer of RFC 6298: the smoothed RTT and its variance from samples, the RTO derived from them
 * with a floor and a ceiling, exponential backoff on expiry, and the deadline. Stack thread only.
 */
public final class RetransmitTimer {
    /** Clock granularity G of RFC 6298 §2: the TCP timestamp tick. */
    private static final long GRANULARITY_NANOS = 1_000;

    private final long minRtoNanos;
    private final long maxRtoNanos;
    private long srttNanos;
    private long rttvarNanos;
    private long rtoNanos;
    private int backoffs;
    private long deadline = Long.MAX_VALUE;

    public RetransmitTimer(long initialRtoNanos, long minRtoNanos, long maxRtoNanos) {
        this.minRtoNanos = minRtoNanos;
        this.maxRtoNanos = maxRtoNanos;
        this.rtoNanos = initialRtoNanos;
    }

    /** Adds a round-trip sample (RFC 6298 §2.2-2.3) and recomputes the RTO. */
    public void sample(long rttNanos) {
        if (rttNanos < 0) {
            return;
        }
        if (srttNanos == 0 && rttvarNanos == 0) {
            srttNanos = Math.max(rttNanos, 1);
            rttvarNanos = rttNanos / 2;
        } else {
            rttvarNanos = (3 * rttvarNanos + Math.abs(srttNanos - rttNanos)) / 4;
            srttNanos = Math.max((7 * srttNanos + rttNanos) / 8, 1);
        }
        rtoNanos = Math.min(maxRtoNanos,
                Math.max(minRtoNanos, srttNanos + Math.max(GRANULARITY_NANOS, 4 * rttvarNanos)));
    }

    public long srttNanos() {
        return srttNanos;
    }

    public long rttvarNanos() {
        return rttvarNanos;
    }

    /** The current RTO including backoff. */
    public long rtoNanos() {
        return Math.min(maxRtoNanos, rtoNanos << Math.min(backoffs, 20));
    }

    public int backoffs() {
        return backoffs;
    }

    /** Doubles the RTO (RFC 6298 §5.5) after an expiry. */
    public void backoff() {
        backoffs++;
    }

    /** New data was acknowledged: the backed-off RTO is dropped (RFC 6298 §5.7 keeps the estimate). */
    public void resetBackoff() {
        backoffs = 0;
    }

    public void start(long nowNanos) {
        deadline = nowNanos + rtoNanos();
    }

    public void stop() {
        deadline = Long.MAX_VALUE;
    }

    public boolean running() {
        return deadline != Long.MAX_VALUE;
    }

    public boolean expired(long nowNanos) {
        return nowNanos >= deadline;
    }

    public long deadline() {
        return deadline;
    }
}
