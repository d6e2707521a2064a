package dev.tapir.engine.test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * The payload of {@code --verify}: a pseudo-random block of {@link #PERIOD} bytes drawn once from a seed, followed by
 * its own first {@link #MAX_SLICE} bytes again, so that any run of up to {@code MAX_SLICE} pattern bytes starting
 * anywhere is one contiguous slice of {@link #memory()}. A sender writes straight from that slice and a receiver
 * compares against it; neither copies nor computes per byte.
 *
 * <p>Byte {@code i} of a stream is pattern position {@code streamStart(id) + i}. The period is prime, so no write,
 * read or datagram length lines up with it and a byte shifted by a whole write or datagram does not compare equal;
 * streams start at different positions, so a byte delivered to the wrong stream does not either.
 */
public final class VerifyPattern {
    /** Bytes before the pattern repeats: the first prime above 1 MiB. */
    public static final int PERIOD = 1_048_583;
    /** Longest slice that is contiguous in {@link #memory()}: iperf3's largest TCP write, above any datagram. */
    public static final int MAX_SLICE = 1 << 20;
    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final long STREAM_SPREAD = 0x9E37_79B9_7F4A_7C15L;

    private final long seed;
    private final MemorySegment memory;

    /** Draws the pattern of {@code seed}: the same seed gives the same bytes on every machine. */
    public VerifyPattern(long seed) {
        this.seed = seed;
        this.memory = Arena.ofAuto().allocate(PERIOD + MAX_SLICE + Long.BYTES, 64);
        SplittableRandom random = new SplittableRandom(seed);
        for (long i = 0; i < PERIOD; i += Long.BYTES) {
            memory.set(WORD, i, random.nextLong());
        }
        MemorySegment.copy(memory, 0, memory, PERIOD, MAX_SLICE);
    }

    public long seed() {
        return seed;
    }

    /** The pattern and its extension; read only. */
    public MemorySegment memory() {
        return memory;
    }

    /** Where pattern position {@code position} (not negative) starts in {@link #memory()}. */
    public static long offsetOf(long position) {
        return position % PERIOD;
    }

    /** The pattern position of byte 0 of stream {@code streamId}. */
    public static long streamStart(int streamId) {
        return ((streamId * STREAM_SPREAD) >>> 1) % PERIOD;
    }

    /** The pattern byte at {@code position}. */
    public byte byteAt(long position) {
        return memory.get(ValueLayout.JAVA_BYTE, offsetOf(position));
    }
}
