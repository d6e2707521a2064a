package dev.tapir.engine.transport;

import dev.tapir.nativeio.SockAddr;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;

/**
 * Datagrams received in one call: a buffer and, for each datagram, where it starts in that buffer, its length and
 * who sent it. The transport decides the layout (one slot per datagram for recvmmsg, consecutive segments of a
 * coalesced GRO receive); the reader only walks {@link #offset(int)} and {@link #length(int)}, and
 * {@link #sourceKey(int)} where one socket serves many senders. Reused across calls.
 *
 * <p>Senders are kept as socket addresses ({@code sockaddr_in}/{@code sockaddr_in6}) in {@link #names()}, one per
 * name slot; datagrams that came in one message (a GRO receive) share their slot.
 */
public final class DatagramBatch {
    /** Room per name slot: a {@code sockaddr_in6} (28 bytes), 8-aligned. */
    public static final long NAME_BYTES = 32;

    private final MemorySegment buffer;
    private final long slotBytes;
    private final long[] offsets;
    private final int[] lengths;
    private final int[] nameSlots;
    private final long[] arrivalEpochNanos;
    private final MemorySegment names;
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
        this.nameSlots = new int[maxDatagrams];
        this.arrivalEpochNanos = new long[maxDatagrams];
        this.names = Arena.ofAuto().allocate(NAME_BYTES * maxDatagrams, 8);
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

    /** The bytes of the {@code count} datagrams from {@code from} on. */
    public long bytes(int from, int count) {
        long bytes = 0;
        for (int i = from; i < from + count; i++) {
            bytes += lengths[i];
        }
        return bytes;
    }

    /**
     * A key for the sender of datagram {@code index}, equal for all datagrams of one address and port (see
     * {@link SockAddr#key}); 0 when the transport did not say. Allocates nothing.
     */
    public long sourceKey(int index) {
        int slot = nameSlots[index];
        return slot < 0 ? 0 : SockAddr.key(names, slot * NAME_BYTES);
    }

    /** The sender of datagram {@code index}, or null when the transport did not say (allocates: for set-up). */
    public InetSocketAddress source(int index) {
        int slot = nameSlots[index];
        return slot < 0 ? null : SockAddr.read(names.asSlice(slot * NAME_BYTES, NAME_BYTES));
    }

    /**
     * When datagram {@code index} arrived, in microseconds since the epoch, as the transport stamped it (the kernel's
     * receive time, see {@link DatagramEndpoint#stampArrivals}); 0 when it did not.
     */
    public long arrivalEpochMicros(int index) {
        return arrivalEpochNanos[index] / 1_000;
    }

    /** For transports: stamps datagram {@code index} with its arrival, nanoseconds since the epoch. */
    public void arrival(int index, long epochNanos) {
        arrivalEpochNanos[index] = epochNanos;
    }

    /** For transports: the name slot of datagram {@code index}'s sender, -1 if unknown. */
    public int nameSlot(int index) {
        return nameSlots[index];
    }

    /** For transports: where senders' socket addresses go, {@link #NAME_BYTES} per slot, one slot per datagram. */
    public MemorySegment names() {
        return names;
    }

    /** For transports: forget the previous receive. */
    public void clear() {
        count = 0;
    }

    /** For transports: record one more datagram, its sender unknown; false when the batch is full. */
    public boolean add(long offset, int length) {
        return add(offset, length, -1);
    }

    /**
     * For transports: record one more datagram whose sender's address is in name slot {@code nameSlot} of
     * {@link #names()}; false when the batch is full.
     */
    public boolean add(long offset, int length, int nameSlot) {
        if (count == offsets.length) {
            return false;
        }
        offsets[count] = offset;
        lengths[count] = length;
        nameSlots[count] = nameSlot;
        arrivalEpochNanos[count] = 0;
        count++;
        return true;
    }
}
