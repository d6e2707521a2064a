package dev.tapir.engine.test;

import java.time.Instant;

/**
 * The time base of one test: a {@link System#nanoTime()} origin shared by every loop and reporter, and the wall
 * clock at that origin, so that epoch microseconds can be had from nanoTime without allocating.
 */
public final class TestClock {
    private long startNanos;
    private long startEpochMicros;

    private TestClock() {
    }

    /** A clock whose origin is now. */
    public static TestClock start() {
        TestClock clock = new TestClock();
        clock.begin();
        return clock;
    }

    /**
     * A clock to hand to loops built ahead of the test (threads, buffers), so that starting the test costs no more
     * than {@link #begin()} and starting the threads. Every reader must be started after {@code begin()}, which then
     * happens-before its reads.
     */
    public static TestClock unstarted() {
        return new TestClock();
    }

    /** Sets the origin to now. */
    public void begin() {
        Instant wall = Instant.now();
        startNanos = System.nanoTime();
        startEpochMicros = wall.getEpochSecond() * 1_000_000L + wall.getNano() / 1_000;
    }

    /** The origin, in {@link System#nanoTime()} terms. */
    public long startNanos() {
        return startNanos;
    }

    /** Wall-clock time at the origin, microseconds since the epoch. */
    public long startEpochMicros() {
        return startEpochMicros;
    }

    /** Wall-clock microseconds since the epoch at {@code nanoTime} (a {@link System#nanoTime()} reading). */
    public long epochMicros(long nanoTime) {
        return startEpochMicros + (nanoTime - startNanos) / 1_000;
    }

    /** Wall-clock microseconds since the epoch, now. Allocation-free. */
    public long epochMicros() {
        return epochMicros(System.nanoTime());
    }

    /** Seconds from the origin to {@code nanoTime}. */
    public double seconds(long nanoTime) {
        return (nanoTime - startNanos) / 1e9;
    }

    /** The {@link System#nanoTime()} at which a test of {@code durationNanos} ends. */
    public long deadline(long durationNanos) {
        return startNanos + durationNanos;
    }
}
