package dev.tapir.engine.transport;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;

/**
 * A connected byte stream. Data moves between off-heap segments and the transport; no call allocates.
 *
 * <p>One thread reads and one thread writes at a time (they may be different threads).
 */
public interface StreamConnection extends AutoCloseable {
    /** Returned by {@link #read} at end of stream. */
    int EOF = -1;

    /**
     * Writes up to {@code length} bytes from {@code src} at {@code offset}, waiting at most {@code timeoutMillis} for
     * room; returns the number written, 0 if the wait timed out.
     */
    int write(MemorySegment src, long offset, int length, int timeoutMillis) throws IOException;

    /**
     * A writer of several slices per call for the calling thread, which closes it when done writing; the default
     * makes one {@link #write} per slice.
     */
    default BatchWriter batchWriter() throws IOException {
        return BatchWriter.oneByOne(this);
    }

    /**
     * Reads up to {@code length} bytes into {@code dst} at {@code offset}, waiting at most {@code timeoutMillis} for
     * data; returns the number read, 0 if the wait timed out, or {@link #EOF}.
     */
    int read(MemorySegment dst, long offset, int length, int timeoutMillis) throws IOException;

    /**
     * Asks that a waiting reader be woken only once {@code bytes} are queued (or at end of stream, or when its wait
     * times out); a read still returns whatever is there. A bulk reader that wakes for every small segment makes the
     * receiver acknowledge each one at once, and the sender then sends small segments. Transports without such a
     * setting ignore it.
     */
    default void wakeReaderAt(int bytes) throws IOException {
    }

    /**
     * Sends every write at once (TCP_NODELAY), for a connection of small request and answer messages, such as
     * iperf3's control connection: with Nagle's algorithm a small write waits for the acknowledgment of the one
     * before, which a peer may delay by 40 ms. Transports without Nagle's algorithm ignore it.
     */
    default void sendAtOnce() throws IOException {
    }

    /** Sends FIN after whatever was written; reads go on. */
    void shutdownOutput() throws IOException;

    /**
     * Bytes written that the peer has not acknowledged yet and still may: 0 once everything was acknowledged (or the
     * connection was reset), -1 where the transport cannot tell.
     */
    default long unacknowledgedBytes() {
        return -1;
    }

    /** Fills {@code into} with the connection's TCP state; false where the transport cannot tell. */
    boolean tcpStats(TcpStats into);

    InetSocketAddress localAddress();

    InetSocketAddress remoteAddress();

    @Override
    void close();
}
