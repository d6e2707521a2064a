package dev.tapir.engine.stack.tcp;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * An off-heap byte ring of power-of-two capacity shared by exactly two threads: one producer advances {@link #tail}
 * and one consumer advances {@link #head}. Positions are 64-bit stream offsets that never wrap; the byte at position p
 * lives at {@code p & (capacity - 1)}. Each side publishes its index with a release store and reads the other's with
 * an acquire load, so the bytes a side copied are visible before the index that covers them.
 *
 * <p>For a send ring the user thread is the producer ({@link #write}) and the stack thread the consumer
 * ({@link #copyOut} by position for (re)transmission, {@link #publishHead} when data is acknowledged). For a receive
 * ring the stack thread is the producer ({@link #copyIn} at any position in the free space, so out-of-order data can
 * be stored where it belongs, then {@link #publishTail}) and the user thread the consumer ({@link #read}).
 */
public final class ByteRing {
    private static final VarHandle HEAD;
    private static final VarHandle TAIL;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            HEAD = lookup.findVarHandle(ByteRing.class, "head", long.class);
            TAIL = lookup.findVarHandle(ByteRing.class, "tail", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int capacity;
    private final int mask;
    private final MemorySegment memory;
    private final UnsafeBuffer view;
    // Padding keeps the two indices on separate cache lines: each is written by a different thread.
    @SuppressWarnings("unused")
    private long p1, p2, p3, p4, p5, p6, p7;
    private long head;
    @SuppressWarnings("unused")
    private long q1, q2, q3, q4, q5, q6, q7;
    private long tail;

    /** A ring of at least {@code minimumCapacity} bytes, rounded up to a power of two (at least 4 KiB). */
    public ByteRing(int minimumCapacity) {
        this.capacity = capacityFor(minimumCapacity);
        this.mask = capacity - 1;
        // The automatic arena frees the memory when the ring is unreachable from every thread.
        this.memory = Arena.ofAuto().allocate(capacity, 4096);
        this.view = new UnsafeBuffer(memory.address(), capacity);
    }

    /** The capacity a ring asked for {@code minimumCapacity} bytes gets: a power of two, at least 4 KiB. */
    public static int capacityFor(int minimumCapacity) {
        int c = Math.max(4096, minimumCapacity);
        int capacity = Integer.highestOneBit(c) == c ? c : Integer.highestOneBit(c) << 1;
        if (capacity <= 0) {
            throw new IllegalArgumentException("ring capacity too large: " + minimumCapacity);
        }
        return capacity;
    }

    public int capacity() {
        return capacity;
    }

    /** The consumer's position (acquire). */
    public long head() {
        return (long) HEAD.getAcquire(this);
    }

    /** The producer's position (acquire). */
    public long tail() {
        return (long) TAIL.getAcquire(this);
    }

    /** Bytes between head and tail. */
    public int readableBytes() {
        return (int) (tail() - head());
    }

    /** Bytes the producer may still publish. */
    public int writableBytes() {
        return capacity - readableBytes();
    }

    /** Producer: copies up to {@code length} bytes from {@code src} and publishes them; returns the count (0 if full). */
    public int write(MemorySegment src, long offset, int length) {
        long t = (long) TAIL.get(this);
        int n = Math.min(length, capacity - (int) (t - head()));
        if (n <= 0) {
            return 0;
        }
        int index = (int) (t & mask);
        int first = Math.min(n, capacity - index);
        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, offset, memory, ValueLayout.JAVA_BYTE, index, first);
        if (first < n) {
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, offset + first, memory, ValueLayout.JAVA_BYTE, 0, n - first);
        }
        TAIL.setRelease(this, t + n);
        return n;
    }

    /** Consumer: copies up to {@code length} published bytes into {@code dst} and frees them; returns the count. */
    public int read(MemorySegment dst, long offset, int length) {
        long h = (long) HEAD.get(this);
        int n = Math.min(length, (int) (tail() - h));
        if (n <= 0) {
            return 0;
        }
        int index = (int) (h & mask);
        int first = Math.min(n, capacity - index);
        MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, index, dst, ValueLayout.JAVA_BYTE, offset, first);
        if (first < n) {
            MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, 0, dst, ValueLayout.JAVA_BYTE, offset + first, n - first);
        }
        HEAD.setRelease(this, h + n);
        return n;
    }

    /**
     * Producer: copies {@code src[offset, offset + length)} to stream position {@code position}, which must lie in
     * {@code [tail, head + capacity)}; publishes nothing.
     */
    public void copyIn(long position, DirectBuffer src, int offset, int length) {
        int index = (int) (position & mask);
        int first = Math.min(length, capacity - index);
        view.putBytes(index, src, offset, first);
        if (first < length) {
            view.putBytes(0, src, offset + first, length - first);
        }
    }

    /** Producer: publishes every byte before {@code position}. */
    public void publishTail(long position) {
        TAIL.setRelease(this, position);
    }

    /** Consumer: copies the published bytes at {@code [position, position + length)} into {@code dst}. */
    public void copyOut(long position, MutableDirectBuffer dst, int offset, int length) {
        int index = (int) (position & mask);
        int first = Math.min(length, capacity - index);
        view.getBytes(index, dst, offset, first);
        if (first < length) {
            view.getBytes(0, dst, offset + first, length - first);
        }
    }

    /** Consumer: frees every byte before {@code position}. */
    public void publishHead(long position) {
        HEAD.setRelease(this, position);
    }
}
