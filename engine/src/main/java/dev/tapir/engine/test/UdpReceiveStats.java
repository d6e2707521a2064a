package dev.tapir.engine.test;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * Loss, out-of-order, duplicates, jitter and transit statistics of the datagrams one receiver got. Single writer (the
 * receive loop calls {@link #onDatagram}); readers on other threads see values published with release stores.
 *
 * <p>Loss follows iperf: a forward gap in sequence numbers counts as lost, and a late arrival that fills part of a
 * gap takes one loss back and counts as out of order. Unlike iperf, a window of the last {@value #WINDOW} sequence
 * numbers tells a duplicate from a late arrival: a duplicate is counted as such and does not take a loss back.
 *
 * <p>Jitter is RFC 3550 §6.4.1 as iperf computes it: transit = arrival − sent, D = |transit − previous transit|,
 * J += (D − J) / 16, all in microseconds; the first datagram only sets the previous transit. Transit min/max/mean and
 * M2 (Welford's running sum of squared deviations) are kept in microseconds for iperf2's server report.
 */
public final class UdpReceiveStats {
    /** How many sequence numbers behind the highest one a duplicate can still be recognised. */
    public static final int WINDOW = 1024;

    private static final VarHandle PACKETS;
    private static final VarHandle BYTES;
    private static final VarHandle LOST;
    private static final VarHandle OUT_OF_ORDER;
    private static final VarHandle DUPLICATES;
    private static final VarHandle HIGHEST;
    private static final VarHandle JITTER;
    private static final VarHandle TRANSIT_COUNT;
    private static final VarHandle MIN_TRANSIT;
    private static final VarHandle MAX_TRANSIT;
    private static final VarHandle MEAN_TRANSIT;
    private static final VarHandle M2_TRANSIT;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            PACKETS = lookup.findVarHandle(UdpReceiveStats.class, "packets", long.class);
            BYTES = lookup.findVarHandle(UdpReceiveStats.class, "bytes", long.class);
            LOST = lookup.findVarHandle(UdpReceiveStats.class, "lost", long.class);
            OUT_OF_ORDER = lookup.findVarHandle(UdpReceiveStats.class, "outOfOrder", long.class);
            DUPLICATES = lookup.findVarHandle(UdpReceiveStats.class, "duplicates", long.class);
            HIGHEST = lookup.findVarHandle(UdpReceiveStats.class, "highest", long.class);
            JITTER = lookup.findVarHandle(UdpReceiveStats.class, "jitterMicros", double.class);
            TRANSIT_COUNT = lookup.findVarHandle(UdpReceiveStats.class, "transitCount", long.class);
            MIN_TRANSIT = lookup.findVarHandle(UdpReceiveStats.class, "minTransit", long.class);
            MAX_TRANSIT = lookup.findVarHandle(UdpReceiveStats.class, "maxTransit", long.class);
            MEAN_TRANSIT = lookup.findVarHandle(UdpReceiveStats.class, "meanTransit", double.class);
            M2_TRANSIT = lookup.findVarHandle(UdpReceiveStats.class, "m2Transit", double.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private long packets;
    private long bytes;
    private long lost;
    private long outOfOrder;
    private long duplicates;
    private long highest;
    private double jitterMicros;
    private long previousTransit;
    private long transitCount;
    private long minTransit;
    private long maxTransit;
    private double meanTransit;
    private double m2Transit;
    /** Bit (sequence mod WINDOW) is set when that sequence number, within WINDOW of the highest, has arrived. */
    private final long[] seen = new long[WINDOW / Long.SIZE];

    /** Accounts one received datagram. Hot path: no allocation. */
    public void onDatagram(long sequence, long sentMicros, long arrivalMicros, int length) {
        if (sequence > highest) {
            long gap = sequence - highest - 1;
            if (gap > 0) {
                LOST.setRelease(this, lost + gap);
            }
            forget(highest + 1, sequence);
            mark(sequence);
            HIGHEST.setRelease(this, sequence);
        } else if (highest - sequence < WINDOW && isMarked(sequence)) {
            DUPLICATES.setRelease(this, duplicates + 1);
        } else {
            if (highest - sequence < WINDOW) {
                mark(sequence);
            }
            OUT_OF_ORDER.setRelease(this, outOfOrder + 1);
            if (lost > 0) {
                LOST.setRelease(this, lost - 1);
            }
        }
        recordTransit(arrivalMicros - sentMicros);
        BYTES.setRelease(this, bytes + length);
        PACKETS.setRelease(this, packets + 1);
    }

    /**
     * Accounts {@code count} datagrams numbered {@code firstSequence} on, in order, all sent at {@code sentMicros} and
     * received at {@code arrivalMicros} (one batch of a batching sender, as one coalesced receive brings it), with
     * {@code bytes} of payload in all: the same figures as {@code count} calls of {@link #onDatagram}, for a fraction of
     * the work (jitter exactly; the transit mean and M2 up to rounding). Hot path: no allocation.
     */
    public void onRun(long firstSequence, int count, long sentMicros, long arrivalMicros, long bytes) {
        long last = firstSequence + count - 1;
        if (count == 1 || firstSequence <= highest) {
            // not a run past the highest: the general path decides loss, duplicates and reordering one by one
            for (long s = firstSequence; s <= last; s++) {
                onDatagram(s, sentMicros, arrivalMicros, 0);
            }
            BYTES.setRelease(this, this.bytes + bytes);
            return;
        }
        long gap = firstSequence - highest - 1;
        if (gap > 0) {
            LOST.setRelease(this, lost + gap);
        }
        forget(highest + 1, last + 1);
        for (long s = Math.max(firstSequence, last - WINDOW + 1); s <= last; s++) {
            mark(s);
        }
        HIGHEST.setRelease(this, last);
        long transit = arrivalMicros - sentMicros;
        recordTransit(transit);
        // the other count - 1 datagrams have the same transit: D = 0 each, so J decays by 1/16 per datagram
        double jitter = jitterMicros;
        for (int i = 1; i < count; i++) {
            jitter += (0 - jitter) / 16.0;
        }
        JITTER.setRelease(this, jitter);
        // Welford's mean and M2 over count - 1 more equal values at once (Chan et al.'s merge of two groups)
        long n = transitCount;
        long m = count - 1;
        double delta = transit - meanTransit;
        M2_TRANSIT.setRelease(this, m2Transit + delta * delta * n * m / (n + m));
        MEAN_TRANSIT.setRelease(this, meanTransit + delta * m / (n + m));
        TRANSIT_COUNT.setRelease(this, n + m);
        BYTES.setRelease(this, this.bytes + bytes);
        PACKETS.setRelease(this, packets + count);
    }

    private void recordTransit(long transit) {
        long n = transitCount + 1;
        if (n == 1) {
            previousTransit = transit;
            MIN_TRANSIT.setRelease(this, transit);
            MAX_TRANSIT.setRelease(this, transit);
        } else {
            if (transit < minTransit) {
                MIN_TRANSIT.setRelease(this, transit);
            }
            if (transit > maxTransit) {
                MAX_TRANSIT.setRelease(this, transit);
            }
        }
        long d = Math.abs(transit - previousTransit);
        previousTransit = transit;
        JITTER.setRelease(this, jitterMicros + (d - jitterMicros) / 16.0);
        double delta = transit - meanTransit;
        double mean = meanTransit + delta / n;
        M2_TRANSIT.setRelease(this, m2Transit + delta * (transit - mean));
        MEAN_TRANSIT.setRelease(this, mean);
        TRANSIT_COUNT.setRelease(this, n);
    }

    /** Clears the window bits of sequence numbers {@code from} (inclusive) to {@code to} (exclusive). */
    private void forget(long from, long to) {
        if (to - from >= WINDOW) {
            Arrays.fill(seen, 0L);
            return;
        }
        for (long s = from; s < to; s++) {
            int bit = (int) Math.floorMod(s, (long) WINDOW);
            seen[bit >>> 6] &= ~(1L << bit);
        }
    }

    private void mark(long sequence) {
        int bit = (int) Math.floorMod(sequence, (long) WINDOW);
        seen[bit >>> 6] |= 1L << bit;
    }

    private boolean isMarked(long sequence) {
        int bit = (int) Math.floorMod(sequence, (long) WINDOW);
        return (seen[bit >>> 6] & (1L << bit)) != 0;
    }

    /** Datagrams received, duplicates included. */
    public long packets() {
        return (long) PACKETS.getAcquire(this);
    }

    /** Payload bytes received. */
    public long bytes() {
        return (long) BYTES.getAcquire(this);
    }

    /** Datagrams missing: sequence numbers up to the highest seen that never arrived. */
    public long lost() {
        return (long) LOST.getAcquire(this);
    }

    /** Datagrams that arrived after a higher sequence number (duplicates excluded). */
    public long outOfOrder() {
        return (long) OUT_OF_ORDER.getAcquire(this);
    }

    /** Datagrams whose sequence number had already arrived (recognised within {@value #WINDOW} of the highest). */
    public long duplicates() {
        return (long) DUPLICATES.getAcquire(this);
    }

    /** The highest sequence number seen; iperf3 reports it as the receiver's total datagram count. */
    public long highestSequence() {
        return (long) HIGHEST.getAcquire(this);
    }

    public double jitterMillis() {
        return (double) JITTER.getAcquire(this) / 1000.0;
    }

    public long transitCount() {
        return (long) TRANSIT_COUNT.getAcquire(this);
    }

    /** Smallest arrival − sent, microseconds (0 before the first datagram). */
    public long minTransitMicros() {
        return (long) MIN_TRANSIT.getAcquire(this);
    }

    public long maxTransitMicros() {
        return (long) MAX_TRANSIT.getAcquire(this);
    }

    public double meanTransitMicros() {
        return (double) MEAN_TRANSIT.getAcquire(this);
    }

    /** Sum of squared deviations from the mean transit (Welford's M2), microseconds squared. */
    public double m2Transit() {
        return (double) M2_TRANSIT.getAcquire(this);
    }
}
