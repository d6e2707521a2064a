package dev.tapir.engine.test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Fills send buffers once, before a test, the way iperf does: a dialect's prefix, then '0'..'9' repeating. */
public final class PayloadPattern {
    private static final int DIGITS = 10;

    private PayloadPattern() {
    }

    /**
     * Fills {@code dst} with iperf's pattern ('0' + i % 10 at byte i) and copies {@code prefix} (may be null) over
     * its start.
     */
    public static void fill(MemorySegment dst, MemorySegment prefix) {
        long size = dst.byteSize();
        long filled = Math.min(size, DIGITS);
        for (int i = 0; i < filled; i++) {
            dst.set(ValueLayout.JAVA_BYTE, i, (byte) ('0' + i));
        }
        // Doubling copies rather than a byte loop: this runs in a cold JVM while the peer's clock may already run
        // (a 128 KiB byte loop took ~40 ms there). Each copy lands at a multiple of 10, so byte i stays '0' + i % 10.
        while (filled < size) {
            long run = Math.min(filled, size - filled);
            MemorySegment.copy(dst, 0, dst, filled, run);
            filled += run;
        }
        if (prefix != null) {
            MemorySegment.copy(prefix, 0, dst, 0, Math.min(prefix.byteSize(), size));
        }
    }

    /** Fills {@code count} slots of {@code slotLength} bytes each in {@code dst}, each one like {@link #fill}. */
    public static void fillSlots(MemorySegment dst, int slotLength, int count, MemorySegment prefix) {
        for (int i = 0; i < count; i++) {
            fill(dst.asSlice((long) i * slotLength, slotLength), prefix);
        }
    }
}
