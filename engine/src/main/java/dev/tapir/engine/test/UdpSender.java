package dev.tapir.engine.test;

import dev.tapir.engine.transport.DatagramEndpoint;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.LockSupport;

/**
 * Sends {@code length}-byte datagrams numbered 1, 2, 3... in batches of the endpoint's preferred size, each with the
 * dialect's header (sequence number and epoch microseconds), paced to {@code -b} by a {@link Pacer} (0 = unlimited),
 * until the datagram limit ({@code -k}, or {@code -n} rounded up), the deadline ({@code -t}) or a stop.
 *
 * <p>With a {@link VerifyPattern} ({@code --verify}) each datagram's bytes after the header are the pattern at the
 * datagram's place in the stream ({@code (sequence - 1) * length}), copied in before it goes out.
 *
 * <p>The end-of-test marker (iperf2's FIN) is the dialect's: it reads {@link #lastSequence()} after the loop ended.
 */
public final class UdpSender implements Runnable {
    /** Pause when the transport had no room for a send. */
    private static final long FULL_BACKOFF_NANOS = 20_000;
    /** Longest stretch of the rate one send may carry at once. */
    private static final long BURST_NANOS = 1_000_000;

    private final TestSpec spec;
    private final DatagramEndpoint endpoint;
    private final StreamCounters counters;
    private final DatagramHeaderCodec codec;
    private final TestClock clock;
    private final StopSignal stop;
    private final int batch;
    private final MemorySegment buffer;
    private final VerifyPattern pattern;
    private final long patternStart;
    private volatile long lastSequence;
    /** iperf3's {@code -O}: how much of the start a limit does not count ({@link SendLimit}). */
    private long omitNanos;
    private volatile IOException failure;

    /**
     * @param prefix bytes each datagram starts with before the codec writes its header (e.g. iperf2's client header
     *     after the datagram header), or null for iperf's pattern only
     */
    public UdpSender(TestSpec spec, DatagramEndpoint endpoint, StreamCounters counters, DatagramHeaderCodec codec,
            TestClock clock, StopSignal stop, MemorySegment prefix) {
        this(spec, endpoint, counters, codec, clock, stop, prefix, null, 0);
    }

    /** Sends stream {@code streamId} of {@code pattern} ({@code --verify}). */
    public UdpSender(TestSpec spec, DatagramEndpoint endpoint, StreamCounters counters, DatagramHeaderCodec codec,
            TestClock clock, StopSignal stop, VerifyPattern pattern, int streamId) {
        this(spec, endpoint, counters, codec, clock, stop, null, pattern, streamId);
    }

    private UdpSender(TestSpec spec, DatagramEndpoint endpoint, StreamCounters counters, DatagramHeaderCodec codec,
            TestClock clock, StopSignal stop, MemorySegment prefix, VerifyPattern pattern, int streamId) {
        if (spec.length() < codec.minimumLength()) {
            throw new IllegalArgumentException("datagram length (-l) must be at least " + codec.minimumLength()
                    + " bytes for this protocol, got " + spec.length());
        }
        this.spec = spec;
        this.endpoint = endpoint;
        this.counters = counters;
        this.codec = codec;
        this.clock = clock;
        this.stop = stop;
        this.batch = burstLimit(spec, endpoint.preferredBatch());
        this.buffer = Arena.ofAuto().allocate((long) batch * spec.length(), 64);
        PayloadPattern.fillSlots(buffer, spec.length(), batch, prefix);
        this.pattern = pattern;
        this.patternStart = VerifyPattern.streamStart(streamId);
    }

    /**
     * The transport's preferred batch, capped at what the rate allows in {@value #BURST_NANOS} ns: at modest rates a
     * whole batch at once would be a burst a receiver's socket buffer may not absorb (iperf paces each datagram).
     */
    static int burstLimit(TestSpec spec, int preferred) {
        int batch = Math.max(1, preferred);
        if (spec.rateBitsPerSecond() == 0) {
            return batch;
        }
        long perBurst = spec.rateBitsPerSecond() / 8 * BURST_NANOS / 1_000_000_000L / spec.length();
        return (int) Math.max(1, Math.min(batch, perBurst));
    }

    /** Before the thread starts: the first {@code nanos} of the test are iperf3's omitted start ({@code -O}). */
    public UdpSender omitFirst(long nanos) {
        this.omitNanos = nanos;
        return this;
    }

    @Override
    public void run() {
        final int length = spec.length();
        final SendLimit limit = new SendLimit(spec.datagramLimit(),
                omitNanos > 0 ? clock.startNanos() + omitNanos : 0);
        final long deadline = spec.timed() ? clock.deadline(spec.durationNanos()) : Long.MAX_VALUE;
        long now = System.nanoTime();
        final Pacer pacer = Pacer.forTest(spec.rateBitsPerSecond(), (long) batch * length, clock, now);
        long sequence = 0;
        counters.markStart(now);
        try {
            while (!stop.stopped()) {
                now = System.nanoTime();
                if (deadline != Long.MAX_VALUE && now - deadline >= 0) {
                    break;
                }
                int count = batch;
                long limitNow = limit.at(now, sequence);
                if (limitNow > 0) {
                    long remaining = limitNow - sequence;
                    if (remaining == 0) {
                        break;
                    }
                    if (remaining < count) {
                        count = (int) remaining;
                    }
                }
                if (pacer != null) {
                    count = pacer.allowance(now, length, count);
                    if (count == 0) {
                        Pacer.pause(Math.min(pacer.waitNanos(now), deadline - now));
                        continue;
                    }
                }
                long micros = clock.epochMicros(now);
                for (int i = 0; i < count; i++) {
                    if (pattern != null) {
                        copyPattern((long) i * length, sequence + i, length);
                    }
                    codec.write(buffer, (long) i * length, sequence + 1 + i, micros);
                }
                int sent = endpoint.send(buffer, 0, length, count);
                if (sent > 0) {
                    sequence += sent;
                    lastSequence = sequence;
                    counters.addPackets(sent);
                    counters.addBytes((long) sent * length);
                    if (pacer != null) {
                        pacer.consume(now, (long) sent * length);
                    }
                } else {
                    LockSupport.parkNanos(FULL_BACKOFF_NANOS);
                }
            }
        } catch (IOException e) {
            failure = e;
        } finally {
            counters.markEnd(System.nanoTime());
        }
    }

    /** The pattern bytes of the datagram after {@code previous} (its place in the stream), past the header. */
    private void copyPattern(long slot, long previous, int length) {
        int header = codec.minimumLength();
        long from = VerifyPattern.offsetOf(patternStart + previous * length + header);
        MemorySegment.copy(pattern.memory(), from, buffer, slot + header, length - header);
    }

    /** The sequence number of the last datagram sent (0 if none): iperf2's FIN carries −(this + 1). */
    public long lastSequence() {
        return lastSequence;
    }

    /** The error that ended the loop early, or null. */
    public IOException failure() {
        return failure;
    }
}
