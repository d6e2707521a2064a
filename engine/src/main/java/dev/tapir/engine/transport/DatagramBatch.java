package dev.tapir.engine.transport;

import java.lang.foreign.MemorySegment;

/**
 * Datagrams received in one call: a buffer and, for each datagram, where it starts in that buffer and its length.
 * The transport decides the layout (one slot per datagram for recvmmsg, consecutive segments of a coalesced GRO
 * receive); the reader only walks {@link #offset(int)} and {@link #length(int)}. Reused across calls.
 */
public final class DatagramBatch {
    private final MemorySegment buffer;
    private final long[] offsets;
    private final int[] lengths;
    private int count;

    /**
     * @param buffer off-heap memory the transport receives into
     * @param maxDatagrams how many datagrams one receive may return at most
     */
    public DatagramBatch(MemorySegment buffer, int maxDatagrams) {
        this.buffer = buffer;
        this.offsets = new long[maxDatagrams];
        this.lengths = new int[maxDatagrams];
    }

    public MemorySegment buffer() {
        return buffer;
    }

    public int capacity() {
        return offsets.length;
    }

    public int count() {
        return count;
    }

    public long offset(int index) {
        return offsets[index];
    }

    public int length(int index) {
        return lengths[index];
    }

    /** For transports: forget the previous receive. */
    public void clear() {
        count = 0;
    }

    /** For transports: record one more datagram; false when the batch is full. */
    public boolean add(long offset, int length) {
        if (count == offsets.length) {
            return false;
        }
        offsets[count] = offset;
        lengths[count] = length;
        count++;
        return true;
    }
}
