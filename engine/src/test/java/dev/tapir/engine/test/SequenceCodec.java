package dev.tapir.engine.test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** A trivial header for tests: 8-byte big-endian sequence, then 8-byte big-endian epoch microseconds. */
final class SequenceCodec implements DatagramHeaderCodec {
    private static final ValueLayout.OfLong LONG_BE =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    @Override
    public int minimumLength() {
        return 16;
    }

    @Override
    public void write(MemorySegment dst, long offset, long sequence, long epochMicros) {
        dst.set(LONG_BE, offset, sequence);
        dst.set(LONG_BE, offset + 8, epochMicros);
    }

    @Override
    public long sequence(MemorySegment src, long offset, int length) {
        return length < 16 ? INVALID : src.get(LONG_BE, offset);
    }

    @Override
    public long sentMicros(MemorySegment src, long offset, int length) {
        return src.get(LONG_BE, offset + 8);
    }
}
