package dev.tapir.engine.test;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** Cache-line padding before the counter fields (two 64-byte lines, for adjacent-line prefetch). */
abstract class StreamCountersLeftPad {
    long p01;
    long p02;
    long p03;
    long p04;
    long p05;
    long p06;
    long p07;
    long p08;
    long p09;
    long p10;
    long p11;
    long p12;
    long p13;
    long p14;
    long p15;
    long p16;
}

/** The counter fields; only the owning hot thread writes them. */
abstract class StreamCountersFields extends StreamCountersLeftPad {
    long bytes;
    long packets;
    long errors;
    long startNanos;
    long endNanos;
}

/** Cache-line padding after the counter fields. */
abstract class StreamCountersRightPad extends StreamCountersFields {
    long q01;
    long q02;
    long q03;
    long q04;
    long q05;
    long q06;
    long q07;
    long q08;
    long q09;
    long q10;
    long q11;
    long q12;
    long q13;
    long q14;
    long q15;
    long q16;
}

/**
 * Per-stream figures, written by exactly one hot thread and read by reporters at any time.
 *
 * <p>The writer publishes each new value with a release store; readers load with acquire, so a reader that sees a
 * byte count also sees everything the writer did before it. Fields are padded on both sides so that two streams'
 * counters never share a cache line. Hot-side methods are plain field updates: no allocation, no locks.
 */
public final class StreamCounters extends StreamCountersRightPad {
    private static final VarHandle BYTES;
    private static final VarHandle PACKETS;
    private static final VarHandle ERRORS;
    private static final VarHandle START_NANOS;
    private static final VarHandle END_NANOS;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            BYTES = lookup.findVarHandle(StreamCountersFields.class, "bytes", long.class);
            PACKETS = lookup.findVarHandle(StreamCountersFields.class, "packets", long.class);
            ERRORS = lookup.findVarHandle(StreamCountersFields.class, "errors", long.class);
            START_NANOS = lookup.findVarHandle(StreamCountersFields.class, "startNanos", long.class);
            END_NANOS = lookup.findVarHandle(StreamCountersFields.class, "endNanos", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final UdpReceiveStats udp;

    /** Counters for a TCP stream or a UDP sender. */
    public StreamCounters() {
        this.udp = null;
    }

    /** Counters for a UDP receiver, with its loss/jitter statistics. */
    public StreamCounters(UdpReceiveStats udp) {
        this.udp = udp;
    }

    // ---- hot side (the one writer) ----

    public void addBytes(long n) {
        BYTES.setRelease(this, bytes + n);
    }

    public void addPackets(long n) {
        PACKETS.setRelease(this, packets + n);
    }

    /** One more datagram that could not be parsed (counted and dropped). */
    public void addError() {
        ERRORS.setRelease(this, errors + 1);
    }

    /** When the loop began moving data, {@link System#nanoTime()}. */
    public void markStart(long nanos) {
        START_NANOS.setRelease(this, nanos);
    }

    /** When the loop stopped, {@link System#nanoTime()}. */
    public void markEnd(long nanos) {
        END_NANOS.setRelease(this, nanos);
    }

    // ---- reader side (any thread) ----

    public long bytes() {
        return (long) BYTES.getAcquire(this);
    }

    /** Datagrams sent (UDP sender) or received (UDP receiver); writes are not counted for TCP. */
    public long packets() {
        return (long) PACKETS.getAcquire(this);
    }

    /** Datagrams dropped as garbage. */
    public long errors() {
        return (long) ERRORS.getAcquire(this);
    }

    /** 0 until the loop started. */
    public long startNanos() {
        return (long) START_NANOS.getAcquire(this);
    }

    /** 0 until the loop ended. */
    public long endNanos() {
        return (long) END_NANOS.getAcquire(this);
    }

    /** The receive statistics of a UDP receiver, or null. */
    public UdpReceiveStats udp() {
        return udp;
    }
}
