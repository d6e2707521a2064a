package dev.tapir.engine.test;

import dev.tapir.engine.transport.StreamConnection;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Reads a stream with a large buffer, independent of the sender's {@code -l}, and counts every byte until end of
 * stream or a stop; with {@code --verify} a {@link PayloadVerifier} checks every chunk. Runs on its own thread; the
 * loop only bumps {@link StreamCounters}.
 */
public final class TcpReceiver implements Runnable {
    /** Read buffer size: large enough that one read drains what a fast sender queued. */
    public static final int BUFFER_BYTES = 512 * 1024;
    /**
     * The reader waits for this much data before it wakes: woken for every small segment, it would acknowledge each
     * at once and the sender's Nagle logic would keep sending small segments (measured on loopback at {@code -l 128}:
     * 1.6 KB segments without, 23 KB with 64 KiB). 32 KiB rather than 64: as fast at small {@code -l} (1.1 Gbit/s at
     * {@code -l 64} with either) and ~8 % faster at 128 KiB writes (medians 14.1 against 13.1 Gbit/s, tapir to tapir on
     * loopback).
     */
    static final int WAKE_AT_BYTES = 32 * 1024;
    /**
     * Longest wait for {@link #WAKE_AT_BYTES}: a tail shorter than that (a sender that stopped without FIN) is read
     * within this time.
     */
    static final int READ_WAIT_MILLIS = 20;

    private final StreamConnection connection;
    private final StreamCounters counters;
    private final StopSignal stop;
    private final MemorySegment buffer;
    private final PayloadVerifier verifier;
    private volatile boolean endOfStream;
    private volatile IOException failure;

    public TcpReceiver(StreamConnection connection, StreamCounters counters, StopSignal stop) {
        this(connection, counters, stop, null);
    }

    /** @param verifier checks the received bytes ({@code --verify}), or null */
    public TcpReceiver(StreamConnection connection, StreamCounters counters, StopSignal stop,
            PayloadVerifier verifier) {
        this.connection = connection;
        this.counters = counters;
        this.stop = stop;
        this.verifier = verifier;
        this.buffer = Arena.ofAuto().allocate(BUFFER_BYTES, 64);
    }

    @Override
    public void run() {
        counters.markStart(System.nanoTime());
        long lastData = 0;
        try {
            connection.wakeReaderAt(WAKE_AT_BYTES);
            while (!stop.stopped()) {
                int n = connection.read(buffer, 0, BUFFER_BYTES, READ_WAIT_MILLIS);
                if (n == StreamConnection.EOF) {
                    endOfStream = true;
                    break;
                }
                if (n > 0) {
                    if (verifier != null) {
                        verifier.onStreamBytes(buffer, 0, n);
                    }
                    counters.addBytes(n);
                    lastData = System.nanoTime();
                }
            }
        } catch (IOException e) {
            failure = e;
        } finally {
            // The stream ended with its last byte: the wait for a stop or the FIN after it is not part of it.
            counters.markEnd(lastData != 0 ? lastData : System.nanoTime());
        }
    }

    /** True once the peer's FIN was read. */
    public boolean endOfStream() {
        return endOfStream;
    }

    /** The error that ended the loop early, or null. */
    public IOException failure() {
        return failure;
    }
}
