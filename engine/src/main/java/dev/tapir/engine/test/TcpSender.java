package dev.tapir.engine.test;

import dev.tapir.engine.transport.StreamConnection;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Writes {@code length}-byte blocks from one off-heap buffer until the byte limit ({@code -n}, or {@code -k} blocks),
 * the deadline ({@code -t}) or a stop. With a byte limit the last write is shortened so that exactly that many bytes
 * go out. A short write resumes inside the block, so every block on the wire carries the same bytes. With a rate
 * ({@code -b}) a {@link Pacer} holds the stream to it, as iperf3 does for TCP.
 *
 * <p>With a {@link VerifyPattern} ({@code --verify}) the bytes come from the pattern at the stream's position instead:
 * each write is a slice of it, at most {@link VerifyPattern#MAX_SLICE} long.
 *
 * <p>Runs on its own thread; the loop only bumps {@link StreamCounters}. It does not shut the connection down: the
 * dialect decides when to send FIN or close.
 */
public final class TcpSender implements Runnable {
    private final TestSpec spec;
    private final StreamConnection connection;
    private final StreamCounters counters;
    private final TestClock clock;
    private final StopSignal stop;
    private final MemorySegment block;
    private final VerifyPattern pattern;
    private final long patternStart;
    private volatile IOException failure;

    /**
     * @param prefix bytes each block starts with (a dialect's header, e.g. iperf2's), or null for iperf's pattern only
     */
    public TcpSender(TestSpec spec, StreamConnection connection, StreamCounters counters, TestClock clock,
            StopSignal stop, MemorySegment prefix) {
        this(spec, connection, counters, clock, stop, prefix, null, 0);
    }

    /** Sends stream {@code streamId} of {@code pattern} ({@code --verify}). */
    public TcpSender(TestSpec spec, StreamConnection connection, StreamCounters counters, TestClock clock,
            StopSignal stop, VerifyPattern pattern, int streamId) {
        this(spec, connection, counters, clock, stop, null, pattern, streamId);
    }

    private TcpSender(TestSpec spec, StreamConnection connection, StreamCounters counters, TestClock clock,
            StopSignal stop, MemorySegment prefix, VerifyPattern pattern, int streamId) {
        this.spec = spec;
        this.connection = connection;
        this.counters = counters;
        this.clock = clock;
        this.stop = stop;
        this.pattern = pattern;
        this.patternStart = VerifyPattern.streamStart(streamId);
        if (pattern == null) {
            this.block = Arena.ofAuto().allocate(spec.length(), 64);
            PayloadPattern.fill(block, prefix);
        } else {
            this.block = pattern.memory();
        }
    }

    @Override
    public void run() {
        final int length = spec.length();
        final long limit = spec.byteLimit();
        final long deadline = spec.timed() ? clock.deadline(spec.durationNanos()) : Long.MAX_VALUE;
        long sent = 0;
        int position = 0;
        long begin = System.nanoTime();
        // -b on TCP, as iperf3 paces it (per stream)
        final Pacer pacer = Pacer.forTest(spec.rateBitsPerSecond(), length, clock, begin);
        counters.markStart(begin);
        try {
            while (!stop.stopped()) {
                long now = System.nanoTime();
                if (deadline != Long.MAX_VALUE && now - deadline >= 0) {
                    break;
                }
                int chunk = length - position;
                if (limit > 0) {
                    long remaining = limit - sent;
                    if (remaining == 0) {
                        break;
                    }
                    if (remaining < chunk) {
                        chunk = (int) remaining;
                    }
                }
                long from = position;
                if (pattern != null) {
                    from = VerifyPattern.offsetOf(patternStart + sent);
                    chunk = Math.min(chunk, VerifyPattern.MAX_SLICE);
                }
                if (pacer != null && pacer.allowance(now, chunk, 1) == 0) {
                    Pacer.pause(Math.min(Math.min(pacer.waitNanos(now), deadline - now), StopSignal.POLL_MILLIS
                            * 1_000_000L));
                    continue;
                }
                int written = connection.write(block, from, chunk, StopSignal.POLL_MILLIS);
                if (written > 0) {
                    if (pacer != null) {
                        pacer.consume(now, written);
                    }
                    sent += written;
                    position += written;
                    if (position == length) {
                        position = 0;
                    }
                    counters.addBytes(written);
                }
            }
        } catch (IOException e) {
            failure = e;
        } finally {
            counters.markEnd(System.nanoTime());
        }
    }

    /** The error that ended the loop early, or null. */
    public IOException failure() {
        return failure;
    }
}
