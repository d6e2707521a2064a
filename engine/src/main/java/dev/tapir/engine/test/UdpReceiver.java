package dev.tapir.engine.test;

import dev.tapir.engine.transport.DatagramBatch;
import dev.tapir.engine.transport.DatagramEndpoint;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Receives datagrams in batches and feeds each one to the stream's {@link UdpReceiveStats} with its arrival time.
 * Garbage (the codec says {@link DatagramHeaderCodec#INVALID}) is counted in {@link StreamCounters#errors()} and
 * dropped. An end-of-test marker (negative sequence, iperf2's FIN) is accounted under its absolute value, as iperf2
 * does, and ends the loop; so do a stop and, when {@code idleTimeoutNanos} is positive, that long without datagrams.
 * The stream's end time is the last datagram's arrival, so the wait for a stop or a timeout is not counted.
 */
public final class UdpReceiver implements Runnable {
    /** Datagrams one receive call may return: eight coalesced receives of up to 64 datagrams each. */
    public static final int BATCH = 512;
    /** Datagrams one-per-slot receives are sized for: 64 slots of the longest expected datagram. */
    static final int SLOTS = 64;
    /**
     * Least receive buffer: room for eight coalesced receives (each up to 64 KiB of datagrams glued together), so that
     * a transport with receive offload (UDP GRO) can take several in one call even when the datagrams are small.
     */
    static final long COALESCED_BUFFER_BYTES = 8 * 65_536;

    private final DatagramEndpoint endpoint;
    private final StreamCounters counters;
    private final UdpReceiveStats stats;
    private final DatagramHeaderCodec codec;
    private final TestClock clock;
    private final StopSignal stop;
    private final long idleTimeoutNanos;
    private final DatagramBatch batch;
    private final PayloadVerifier verifier;
    private volatile boolean finReceived;
    private volatile long firstArrivalNanos;
    private volatile IOException failure;

    /**
     * @param maxDatagramLength the largest datagram to expect (64 KiB covers any UDP payload); the buffer is never
     *     smaller than {@link #COALESCED_BUFFER_BYTES}
     * @param idleTimeoutNanos stop after this long without a datagram once one arrived; 0 = only on stop or FIN
     */
    public UdpReceiver(DatagramEndpoint endpoint, StreamCounters counters, DatagramHeaderCodec codec, TestClock clock,
            StopSignal stop, int maxDatagramLength, long idleTimeoutNanos) {
        this(endpoint, counters, codec, clock, stop, maxDatagramLength, idleTimeoutNanos, null);
    }

    /** @param verifier checks each datagram's payload ({@code --verify}), or null */
    public UdpReceiver(DatagramEndpoint endpoint, StreamCounters counters, DatagramHeaderCodec codec, TestClock clock,
            StopSignal stop, int maxDatagramLength, long idleTimeoutNanos, PayloadVerifier verifier) {
        if (counters.udp() == null) {
            throw new IllegalArgumentException("UDP receiver counters need UdpReceiveStats");
        }
        this.endpoint = endpoint;
        this.counters = counters;
        this.stats = counters.udp();
        this.codec = codec;
        this.clock = clock;
        this.stop = stop;
        this.idleTimeoutNanos = idleTimeoutNanos;
        this.verifier = verifier;
        this.batch = newBatch(maxDatagramLength);
    }

    /**
     * A batch for a receiving loop: {@link #BATCH} datagrams, in {@link #SLOTS} slots of {@code maxDatagramLength}
     * bytes and never less than {@link #COALESCED_BUFFER_BYTES}.
     */
    public static DatagramBatch newBatch(int maxDatagramLength) {
        long bytes = Math.max((long) SLOTS * maxDatagramLength, COALESCED_BUFFER_BYTES);
        return new DatagramBatch(Arena.ofAuto().allocate(bytes, 64), BATCH, maxDatagramLength);
    }

    @Override
    public void run() {
        long lastArrival = 0;
        counters.markStart(System.nanoTime());
        try {
            while (!stop.stopped()) {
                int n = endpoint.receive(batch, StopSignal.POLL_MILLIS);
                long now = System.nanoTime();
                if (n == 0) {
                    if (idleTimeoutNanos > 0 && lastArrival != 0 && now - lastArrival >= idleTimeoutNanos) {
                        break;
                    }
                    continue;
                }
                lastArrival = now;
                long arrivalMicros = clock.epochMicros(now);
                MemorySegment memory = batch.buffer();
                // the counters are published once per batch, not per datagram
                long packets = 0;
                long bytes = 0;
                boolean fin = false;
                int i = 0;
                while (i < n) {
                    long offset = batch.offset(i);
                    int length = batch.length(i);
                    long sequence = codec.sequence(memory, offset, length);
                    if (sequence == DatagramHeaderCodec.INVALID) {
                        counters.addError();
                        i++;
                        continue;
                    }
                    if (sequence < 0 && firstArrivalNanos == 0) {
                        // a test cannot begin with its end: this is a previous iperf 2 client re-sending its FIN
                        i++;
                        continue;
                    }
                    if (firstArrivalNanos == 0) {
                        firstArrivalNanos = now;
                    }
                    long sent = codec.sentMicros(memory, offset, length);
                    if (sequence < 0) {
                        if (verifier != null) {
                            verifier.onDatagram(memory, offset, length, sequence);
                        }
                        stats.onDatagram(-sequence, sent, arrivalMicros, length);
                        packets++;
                        bytes += length;
                        fin = true;
                        break;
                    }
                    int run = runLength(codec, batch, i, sequence, sent, false);
                    long runBytes = batch.bytes(i, run);
                    if (verifier != null) {
                        for (int j = 0; j < run; j++) {
                            verifier.onDatagram(memory, batch.offset(i + j), batch.length(i + j), sequence + j);
                        }
                    }
                    stats.onRun(sequence, run, sent, arrivalMicros, runBytes);
                    packets += run;
                    bytes += runBytes;
                    i += run;
                }
                counters.addPackets(packets);
                counters.addBytes(bytes);
                if (fin) {
                    finReceived = true;
                    break;
                }
            }
        } catch (IOException e) {
            failure = e;
        } finally {
            // The test ended with the last datagram: waiting for more (drain, idle timeout) is not part of it.
            counters.markEnd(lastArrival != 0 ? lastArrival : System.nanoTime());
        }
    }

    /**
     * How many datagrams from {@code from} on make a run: a batching sender's datagrams arrive as consecutive numbers
     * with one send time, which {@link UdpReceiveStats#onRun} takes at once. {@code sameSender} also ends the run
     * where the sender changes (one socket serving many). At least 1.
     */
    public static int runLength(DatagramHeaderCodec codec, DatagramBatch batch, int from, long sequence,
            long sentMicros, boolean sameSender) {
        MemorySegment memory = batch.buffer();
        long sender = sameSender ? batch.sourceKey(from) : 0;
        int run = 1;
        for (int next = from + 1; next < batch.count(); next++, run++) {
            long offset = batch.offset(next);
            int length = batch.length(next);
            if (codec.sequence(memory, offset, length) != sequence + run
                    || codec.sentMicros(memory, offset, length) != sentMicros
                    || sameSender && batch.sourceKey(next) != sender) {
                break;
            }
        }
        return run;
    }

    /**
     * When the first valid datagram arrived ({@link System#nanoTime()}), 0 before: iperf2's server measures a test
     * from there to the FIN.
     */
    public long firstArrivalNanos() {
        return firstArrivalNanos;
    }

    /** True when the loop ended on an end-of-test marker. */
    public boolean finReceived() {
        return finReceived;
    }

    /** The error that ended the loop early, or null. */
    public IOException failure() {
        return failure;
    }
}
