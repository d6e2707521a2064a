package dev.tapir.engine.test;

import java.util.concurrent.locks.LockSupport;

/**
 * A token bucket on {@link System#nanoTime()} that holds a sender to a bit rate.
 *
 * <p>The bucket is kept as a theoretical send time: each byte sent moves it on by 8e9/rate ns, and a send is allowed
 * while that time is not in the future. After a late wake-up the sender catches up, but by at most
 * {@link #CATCH_UP_NANOS} of the rate (or the burst asked for, if larger), so a long stall does not turn into a flood.
 * Over any stretch the sender keeps up with, the bytes sent equal rate × time plus at most one burst.
 */
public final class Pacer {
    /** Gaps longer than this are slept through with parkNanos; shorter ones are spun. */
    private static final long PARK_THRESHOLD_NANOS = 50_000;
    /**
     * How far behind a sender may catch up. On a busy machine a parked sender wakes milliseconds late, over and over:
     * with 2 ms here, {@code -b 100M} sent 50-60 Mbit/s on this 2-core machine under load. iperf3 catches up without
     * limit; 100 ms covers scheduler delays yet bounds the burst after a real stall.
     */
    static final long CATCH_UP_NANOS = 100_000_000;

    private final double nanosPerByte;
    private final double burstNanos;
    private double sendTime;

    /**
     * @param rateBitsPerSecond target rate, positive
     * @param burstBytes how far a late sender may catch up at once, if more than {@link #CATCH_UP_NANOS} of the rate
     * @param startNanos {@link System#nanoTime()} at which sending begins
     */
    public Pacer(long rateBitsPerSecond, long burstBytes, long startNanos) {
        if (rateBitsPerSecond <= 0) {
            throw new IllegalArgumentException("rate must be positive, got " + rateBitsPerSecond);
        }
        this.nanosPerByte = 8e9 / rateBitsPerSecond;
        this.burstNanos = Math.max(CATCH_UP_NANOS, burstBytes * nanosPerByte);
        this.sendTime = startNanos;
    }

    /**
     * The pacer of a test's sender ({@code -b}), or null when the test has no rate. It paces from the test's start,
     * which the reports measure from, so a sender thread that got going late catches up ({@code nowNanos} is when it
     * begins, used only if that is earlier).
     */
    public static Pacer forTest(long rateBitsPerSecond, long burstBytes, TestClock clock, long nowNanos) {
        return rateBitsPerSecond > 0
                ? new Pacer(rateBitsPerSecond, burstBytes, Math.min(nowNanos, clock.startNanos())) : null;
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
