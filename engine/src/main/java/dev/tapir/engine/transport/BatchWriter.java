package dev.tapir.engine.transport;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * Writes several slices of one off-heap segment to a stream per call, each as a write of its own, in order: a sender
 * of small blocks pays one system call per batch instead of one per block where the transport can do that (kernel
 * sockets through io_uring). Obtained from {@link StreamConnection#batchWriter()} by the one thread that writes, and
 * closed by it.
 */
public interface BatchWriter extends AutoCloseable {
    /**
     * Writes slice i ({@code lengths[i]} bytes of {@code src} at {@code offsets[i]}) for each i below {@code count},
     * stopping at the first that does not go out whole, so the stream has no gap; waits at most {@code timeoutMillis}
     * for room before the first. Returns the bytes written (a count that ends inside a slice means that slice went out in
     * part), 0 if the wait timed out.
     */
    int writeEach(MemorySegment src, long[] offsets, int[] lengths, int count, int timeoutMillis) throws IOException;

    @Override
    default void close() {
    }

    /** One {@link StreamConnection#write} per slice; only the first may wait for room. */
    static BatchWriter oneByOne(StreamConnection connection) {
        return (src, offsets, lengths, count, timeoutMillis) -> {
            long total = 0;
            for (int i = 0; i < count; i++) {
                int n = connection.write(src, offsets[i], lengths[i], i == 0 ? timeoutMillis : 0);
                total += n;
                if (n < lengths[i]) {
                    break;
                }
            }
            return (int) total;
        };
    }
}
