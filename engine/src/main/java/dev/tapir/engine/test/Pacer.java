package dev.tapir.engine.test;

import java.util.concurrent.locks.LockSupport;

/**
 * A token bucket on {@link System#nanoTime()} that holds a sender to a bit rate.
 *
 * <p>The bucket is kept as a theoretical send time: each byte sent moves it on by 8e9/rate ns, and a send is allowed
 * while that time is not in the future. After a late wake-up the sender may catch up, but never by more than the burst
 * allowance, so a stalled sender does not flood the path afterwards. Over any stretch the sender keeps up with, the
 * bytes sent equal rate × time plus at most one burst.
 */
public final class Pacer {
    /** Gaps longer than this are slept through with parkNanos; shorter ones are spun. */
    private static final long PARK_THRESHOLD_NANOS = 50_000;
    /** Catch-up always allowed: a parked thread wakes up to ~100 µs late, and that time must not be lost. */
    private static final double MIN_BURST_NANOS = 2_000_000.0;
    /**
     * How far a late sender may catch up at once: 20 ms of sending, but no more than 128 KiB (a burst a receiver's
     * default socket buffer takes), and at least 64 KiB at low rates, at most 100 ms' worth. On a loaded
     * machine wake-ups come several ms late and each late millisecond beyond the window is lost: with 2 ms,
     * {@code -b 1M -l 64} sent 840 kbit/s and {@code -b 100M} 87 Mbit/s where iperf3 sent what was asked.
     */
    private static final double CATCH_UP_NANOS = 20_000_000.0;
    private static final long CATCH_UP_MAX_BYTES = 128 * 1024;
    private static final long CATCH_UP_MIN_BYTES = 64 * 1024;
    private static final double MAX_CATCH_UP_NANOS = 100_000_000.0;

    private final double nanosPerByte;
    private final double burstNanos;
    private double sendTime;

    /**
     * @param rateBitsPerSecond target rate, positive
     * @param burstBytes how far a late sender may catch up at once
     * @param startNanos {@link System#nanoTime()} at which sending begins
     */
    public Pacer(long rateBitsPerSecond, long burstBytes, long startNanos) {
        if (rateBitsPerSecond <= 0) {
            throw new IllegalArgumentException("rate must be positive, got " + rateBitsPerSecond);
        }
        this.nanosPerByte = 8e9 / rateBitsPerSecond;
        double catchUp = Math.min(MAX_CATCH_UP_NANOS, Math.max(CATCH_UP_MIN_BYTES * nanosPerByte,
                Math.min(CATCH_UP_NANOS, CATCH_UP_MAX_BYTES * nanosPerByte)));
        this.burstNanos = Math.max(Math.max(MIN_BURST_NANOS, burstBytes * nanosPerByte), catchUp);
        this.sendTime = startNanos;
    }

    /** How many units of {@code unitBytes} may be sent at {@code nowNanos}, at most {@code max}; 0 means wait. */
    public int allowance(long nowNanos, int unitBytes, int max) {
        double base = Math.max(sendTime, nowNanos - burstNanos);
        if (base > nowNanos) {
            return 0;
        }
        double units = Math.floor((nowNanos - base) / (unitBytes * nanosPerByte)) + 1;
        return units >= max ? max : (int) units;
    }

    /** Takes {@code bytes} sent at {@code nowNanos} out of the bucket. */
    public void consume(long nowNanos, long bytes) {
        sendTime = Math.max(sendTime, nowNanos - burstNanos) + bytes * nanosPerByte;
    }

    /** Nanoseconds from {@code nowNanos} until the next send is allowed (0 if now). */
    public long waitNanos(long nowNanos) {
        double wait = sendTime - nowNanos;
        return wait > 0 ? (long) Math.ceil(wait) : 0;
    }

    /** Waits about {@code nanos}: parks for long gaps (catching up covers a late wake-up), spins for short ones. */
    public static void pause(long nanos) {
        if (nanos >= PARK_THRESHOLD_NANOS) {
            LockSupport.parkNanos(nanos);
            return;
        }
        long until = System.nanoTime() + nanos;
        while (System.nanoTime() - until < 0) {
            Thread.onSpinWait();
        }
    }
}
