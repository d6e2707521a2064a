package dev.tapir.engine.test;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class PayloadPatternTest {
    @Test
    void everyByteIsItsDigitAfterThePrefix() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment prefix = arena.allocate(24);
            for (int i = 0; i < 24; i++) {
                prefix.set(ValueLayout.JAVA_BYTE, i, (byte) (0xA0 + i));
            }
            for (int size : new int[] {0, 1, 9, 10, 11, 19, 20, 21, 1470, 65_536, 131_072, 131_077}) {
                for (MemorySegment p : new MemorySegment[] {null, prefix}) {
                    MemorySegment dst = arena.allocate(size + 1);
                    dst.set(ValueLayout.JAVA_BYTE, size, (byte) 0x55);
                    PayloadPattern.fill(dst.asSlice(0, size), p);
                    int prefixed = p == null ? 0 : (int) Math.min(24, size);
                    for (int i = 0; i < size; i++) {
                        byte expected = i < prefixed ? (byte) (0xA0 + i) : (byte) ('0' + i % 10);
                        assertEquals(expected, dst.get(ValueLayout.JAVA_BYTE, i), "size " + size + ", byte " + i);
                    }
                    assertEquals((byte) 0x55, dst.get(ValueLayout.JAVA_BYTE, size), "size " + size + ": overran");
                }
            }
        }
    }
}
