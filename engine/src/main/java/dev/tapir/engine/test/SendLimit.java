package dev.tapir.engine.test;

/**
 * A sender's byte or datagram limit ({@code -n}, {@code -k}), 0 for none. With iperf3's {@code -O} the limit counts
 * only what is sent after the omitted start: none while it runs, then the limit on top of what went out until its
 * end, as iperf3 sends it. The sending thread's alone.
 */
final class SendLimit {
    private final long limit;
    private long omitEndNanos;
    private long current;

    /**
     * @param limit units to send, 0 for no limit
     * @param omitEndNanos the end of the omitted start ({@link System#nanoTime()}), 0 for none
     */
    SendLimit(long limit, long omitEndNanos) {
        this.limit = limit;
        this.omitEndNanos = limit > 0 ? omitEndNanos : 0;
        this.current = this.omitEndNanos != 0 ? 0 : limit;
    }

    /** The limit at {@code nowNanos}, given {@code sent} units so far; 0 means none. */
    long at(long nowNanos, long sent) {
        if (omitEndNanos != 0 && nowNanos - omitEndNanos >= 0) {
            current = sent + limit;
            omitEndNanos = 0;
        }
        return current;
    }
}
