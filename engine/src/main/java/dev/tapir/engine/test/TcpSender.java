package dev.tapir.engine.test;

import dev.tapir.engine.transport.BatchWriter;
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
 * <p>Small blocks go out in batches ({@link BatchWriter}): each block is still a write of its own, but one system call
 * hands the kernel up to {@link #MAX_BATCH} of them where the connection's transport can do that.
 *
 * <p>Runs on its own thread; the loop only bumps {@link StreamCounters}. It does not shut the connection down: the
 * dialect decides when to send FIN or close.
 */
public final class TcpSender implements Runnable {
    /** Most blocks one call writes. */
    static final int MAX_BATCH = 32;
    /** Bytes one batched call aims at; blocks this long or longer are written one per call. */
    static final int BATCH_BYTES = 128 * 1024;

    private final TestSpec spec;
    private final StreamConnection connection;
    private final StreamCounters counters;
    private final TestClock clock;
    private final StopSignal stop;
    private final MemorySegment block;
    private final VerifyPattern pattern;
    private final long patternStart;
    private final long[] offsets = new long[MAX_BATCH];
    private final int[] lengths = new int[MAX_BATCH];
    /** Bytes written, and where in the block the next write starts; the writing thread's alone. */
    private long sent;
    private int position;
    /** iperf3's {@code -O}: how much of the start a limit does not count ({@link SendLimit}). */
    private long omitNanos;
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

    /** Before the thread starts: the first {@code nanos} of the test are iperf3's omitted start ({@code -O}). */
    public TcpSender omitFirst(long nanos) {
        this.omitNanos = nanos;
        return this;
    }

    @Override
    public void run() {
        final int length = spec.length();
        final SendLimit limit = new SendLimit(spec.byteLimit(), omitNanos > 0 ? clock.startNanos() + omitNanos : 0);
        final long deadline = spec.timed() ? clock.deadline(spec.durationNanos()) : Long.MAX_VALUE;
        long begin = System.nanoTime();
        // -b on TCP, as iperf3 paces it (per stream); a paced stream writes one block at a time
        final Pacer pacer = Pacer.forTest(spec.rateBitsPerSecond(), length, clock, begin);
        final int batch = pacer == null ? batchBlocks(length) : 1;
        counters.markStart(begin);
        try (BatchWriter writer = batch > 1 ? connection.batchWriter() : null) {
            while (!stop.stopped()) {
                long now = System.nanoTime();
                if (deadline != Long.MAX_VALUE && now - deadline >= 0) {
                    break;
                }
                int count = plan(length, limit.at(now, sent), batch);
                if (count == 0) {
                    break;
                }
                if (pacer != null && pacer.allowance(now, lengths[0], 1) == 0) {
                    Pacer.pause(Math.min(Math.min(pacer.waitNanos(now), deadline - now), StopSignal.POLL_MILLIS
                            * 1_000_000L));
                    continue;
                }
                int written = count == 1
                        ? connection.write(block, offsets[0], lengths[0], StopSignal.POLL_MILLIS)
                        : writer.writeEach(block, offsets, lengths, count, StopSignal.POLL_MILLIS);
                if (written > 0) {
                    if (pacer != null) {
                        pacer.consume(now, written);
                    }
                    sent += written;
                    position = (position + written) % length;
                    counters.addBytes(written);
                }
            }
        } catch (IOException e) {
            failure = e;
        } finally {
            counters.markEnd(System.nanoTime());
        }
    }

    /**
     * How many blocks one call writes: up to {@link #MAX_BATCH} blocks of a small {@code -l} (a system call per block
     * would cost more than the block), fewer as blocks grow, one from {@link #BATCH_BYTES} up.
     */
    static int batchBlocks(int length) {
        return Math.clamp(BATCH_BYTES / length, 1, MAX_BATCH);
    }

    /**
     * Fills {@link #offsets} and {@link #lengths} with the next writes, at most {@code batch}: the rest of the current
     * block, then whole blocks; the last shortened to the byte limit, and with a verify pattern each one its slice
     * of the pattern. Returns how many, 0 once the byte limit is reached.
     */
    private int plan(int length, long limit, int batch) {
        long planned = 0;
        int at = position;
        int count = 0;
        while (count < batch) {
            int chunk = length - at;
            if (limit > 0) {
                long remaining = limit - sent - planned;
                if (remaining == 0) {
                    break;
                }
                if (remaining < chunk) {
                    chunk = (int) remaining;
                }
            }
            long from = at;
            if (pattern != null) {
                from = VerifyPattern.offsetOf(patternStart + sent + planned);
                chunk = Math.min(chunk, VerifyPattern.MAX_SLICE);
            }
            offsets[count] = from;
            lengths[count] = chunk;
            count++;
            planned += chunk;
            at = (at + chunk) % length;
        }
        return count;
    }

    /** The error that ended the loop early, or null. */
    public IOException failure() {
        return failure;
    }
}
