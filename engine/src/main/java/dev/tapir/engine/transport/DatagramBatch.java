package dev.tapir.engine.transport;

import java.lang.foreign.MemorySegment;

/**
 * Datagrams received in one call: a buffer and, for each datagram, where it starts in that buffer and its length.
 * The transport decides the layout (one slot per datagram for recvmmsg, consecutive segments of a coalesced GRO
 * receive); the reader only walks {@link #offset(int)} and {@link #length(int)}. Reused across calls.
 */
public final class DatagramBatch {
    private final MemorySegment buffer;
    private final long slotBytes;
    private final long[] offsets;
    private final int[] lengths;
    private int count;

    /**
     * @param buffer off-heap memory the transport receives into
     * @param maxDatagrams how many datagrams one receive may return at most
     */
    public DatagramBatch(MemorySegment buffer, int maxDatagrams) {
        this(buffer, maxDatagrams, buffer.byteSize() / maxDatagrams);
    }

    /**
     * @param buffer off-heap memory the transport receives into
     * @param maxDatagrams how many datagrams one receive may return at most
     * @param slotBytes the longest datagram expected: a transport that receives one datagram per slot makes its slots
     *     this long (fewer datagrams per call when the buffer holds fewer such slots than {@code maxDatagrams})
     */
    public DatagramBatch(MemorySegment buffer, int maxDatagrams, long slotBytes) {
        if (slotBytes <= 0 || slotBytes > buffer.byteSize()) {
            throw new IllegalArgumentException("slot of " + slotBytes + " bytes in a buffer of " + buffer.byteSize());
        }
        this.buffer = buffer;
        this.slotBytes = slotBytes;
        this.offsets = new long[maxDatagrams];
        this.lengths = new int[maxDatagrams];
    }

    public MemorySegment buffer() {
        return buffer;
    }

    /** Room per datagram for transports that receive one datagram per slot. */
    public long slotBytes() {
        return slotBytes;
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
