package dev.tapir.engine.iperf3;

import dev.tapir.engine.test.DatagramHeaderCodec;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * iperf3's UDP data datagram header (iperf_udp.c), all big-endian: {@code tv_sec u32, tv_usec u32, counter} where the
 * counter is u32 by default and u64 when the client asked for {@code udp_counters_64bit}. The first datagram of a stream
 * has counter 1. Nothing marks which width is in use; both sides learn it from the parameters. iperf3 stamps its
 * monotonic clock; the receiver only uses differences, so any steady clock works. There is no end-of-test datagram.
 */
public final class Iperf3DatagramHeader implements DatagramHeaderCodec {
    public static final int LENGTH_32BIT = 12;
    public static final int LENGTH_64BIT = 16;

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final int SEC_OFFSET = 0;
    private static final int USEC_OFFSET = 4;
    private static final int COUNTER_OFFSET = 8;

    private final boolean counter64;

    public Iperf3DatagramHeader(boolean counter64) {
        this.counter64 = counter64;
    }

    public boolean counter64() {
        return counter64;
    }

    @Override
    public int minimumLength() {
        return counter64 ? LENGTH_64BIT : LENGTH_32BIT;
    }

    @Override
    public void write(MemorySegment dst, long offset, long sequence, long epochMicros) {
        dst.set(U32, offset + SEC_OFFSET, (int) (epochMicros / 1_000_000L));
        dst.set(U32, offset + USEC_OFFSET, (int) (epochMicros % 1_000_000L));
        if (counter64) {
            dst.set(U64, offset + COUNTER_OFFSET, sequence);
        } else {
            dst.set(U32, offset + COUNTER_OFFSET, (int) sequence);
        }
    }

    /**
     * The datagram's counter, or {@link #INVALID} when it is shorter than the header or its counter is 0 (iperf3
     * starts at 1) or above 2^63-1 (never reached by a real sender; this codec has no end-of-test marker).
     */
    @Override
    public long sequence(MemorySegment src, long offset, int length) {
        if (length < minimumLength()) {
            return INVALID;
        }
        long counter = counter64 ? src.get(U64, offset + COUNTER_OFFSET)
                : Integer.toUnsignedLong(src.get(U32, offset + COUNTER_OFFSET));
        return counter <= 0 ? INVALID : counter;
    }

    @Override
    public long sentMicros(MemorySegment src, long offset, int length) {
        if (length < minimumLength()) {
            return 0;
        }
        long sec = Integer.toUnsignedLong(src.get(U32, offset + SEC_OFFSET));
        long usec = Integer.toUnsignedLong(src.get(U32, offset + USEC_OFFSET));
        return sec * 1_000_000L + usec;
    }
}
