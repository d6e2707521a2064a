package dev.tapir.engine.iperf3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class Iperf3DatagramHeaderTest {
    private static MemorySegment bytes(Arena arena, String hex) {
        byte[] b = HexFormat.of().parseHex(hex);
        MemorySegment s = arena.allocate(b.length);
        MemorySegment.copy(b, 0, s, ValueLayout.JAVA_BYTE, 0, b.length);
        return s;
    }

    @Test
    void decodesCaptured32BitDatagram() {
        try (Arena arena = Arena.ofConfined()) {
            var codec = new Iperf3DatagramHeader(false);
            // last datagram of the captured 3.12 run: sec=1461 usec=217925 count=1041
            MemorySegment d = bytes(arena, "000005b500035345000004115839dba5");
            assertEquals(1041, codec.sequence(d, 0, 1200));
            assertEquals(1461_217925L, codec.sentMicros(d, 0, 1200));
        }
    }

    @Test
    void encodesLikeIperf3In64BitMode() {
        try (Arena arena = Arena.ofConfined()) {
            var codec = new Iperf3DatagramHeader(true);
            MemorySegment d = arena.allocate(16);
            codec.write(d, 0, 1, 1475_712113L);
            assertArrayEquals(HexFormat.of().parseHex("000005c3000addb10000000000000001"), d.toArray(ValueLayout.JAVA_BYTE));
            assertEquals(1, codec.sequence(d, 0, 16));
            assertEquals(1475_712113L, codec.sentMicros(d, 0, 16));
        }
    }

    @Test
    void rejectsTruncatedAndZeroCounterDatagrams() {
        try (Arena arena = Arena.ofConfined()) {
            var codec32 = new Iperf3DatagramHeader(false);
            var codec64 = new Iperf3DatagramHeader(true);
            MemorySegment d = bytes(arena, "000005b500035345000004110000000000");
            assertEquals(Iperf3DatagramHeader.INVALID, codec32.sequence(d, 0, 11));
            assertEquals(Iperf3DatagramHeader.INVALID, codec64.sequence(d, 0, 15));
            assertEquals(Iperf3DatagramHeader.INVALID, codec32.sequence(bytes(arena, "000000000000000000000000"), 0, 12));
            assertEquals(Iperf3DatagramHeader.INVALID, codec64.sequence(bytes(arena, "00000000000000008000000000000000"), 0, 16));
            assertEquals(0xFFFFFFFFL, codec32.sequence(bytes(arena, "0000000000000000ffffffff"), 0, 12));
        }
    }
}
