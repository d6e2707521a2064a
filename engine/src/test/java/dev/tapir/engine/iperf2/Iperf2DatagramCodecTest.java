package dev.tapir.engine.iperf2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tapir.engine.test.DatagramHeaderCodec;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** The codec reads every header variant a 2.x sender produces and writes 2.1.8's datagrams byte for byte. */
class Iperf2DatagramCodecTest {
    private final Iperf2DatagramCodec codec = new Iperf2DatagramCodec();

    @Test
    void readsCaptured218DataAndFin() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = CapturedBytes.segment(arena, CapturedBytes.UDP_DATAGRAM_1_HEAD, 1470);
            assertEquals(1, codec.sequence(data, 0, 1470));
            assertEquals(0x6b0a2b5cL * 1_000_000L + 0x4815c, codec.sentMicros(data, 0, 1470));
            MemorySegment fin = CapturedBytes.segment(arena, CapturedBytes.UDP_FIN_HEAD, 1470);
            assertEquals(-1787, codec.sequence(fin, 0, 1470));
        }
    }

    @Test
    void sixtyFourBitSequenceUsesTheHighWordOnlyWithTheFlag() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(200);
            Iperf2DatagramCodec.udpPrefix(s, 5001, 200, -100, 1_000_000);
            codec.write(s, 0, 0x1_0000_0005L, 7_000_001L);
            assertEquals(0x1_0000_0005L, codec.sequence(s, 0, 200));
            assertEquals(7_000_001L, codec.sentMicros(s, 0, 200));
            // Without HEADER_SEQNO64B (a 2.0.x header at offset 12 has flags 0 and numThreads 1 at offset 16) the
            // id is signed 32-bit and id2 is ignored.
            new ClientHeader().wrap(s, UdpDatagramHeader.LENGTH).flags(0);
            assertEquals(5, codec.sequence(s, 0, 200));
        }
    }

    @Test
    void oldTwelveByteHeaderReadsSigned32BitId() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(1470);
            new UdpDatagramHeader().wrap(s, 0).id(-101).sec(1_700_000_000).usec(5);
            assertEquals(-101, codec.sequence(s, 0, 12));
            assertEquals(-101, codec.sequence(s, 0, 1470));
            assertEquals(1_700_000_000_000_005L, codec.sentMicros(s, 0, 12));
        }
    }

    @Test
    void truncatedAndZeroIdAreGarbage() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(64);
            new UdpDatagramHeader().wrap(s, 0).id(7);
            assertEquals(DatagramHeaderCodec.INVALID, codec.sequence(s, 0, 11));
            assertEquals(7, codec.sequence(s, 0, 12));
            new UdpDatagramHeader().wrap(s, 0).id(0);
            assertEquals(DatagramHeaderCodec.INVALID, codec.sequence(s, 0, 64));
        }
    }

    @Test
    void prefixPlusHeaderEqualsCaptured218Datagram() {
        try (Arena arena = Arena.ofConfined()) {
            byte[] expected = CapturedBytes.bytes(CapturedBytes.UDP_DATAGRAM_1_HEAD);
            MemorySegment s = arena.allocate(Iperf2DatagramCodec.UDP_PREFIX_LENGTH);
            s.fill((byte) 0x55);
            Iperf2DatagramCodec.udpPrefix(s, 5001, 1470, -200, 10_485_760);
            codec.write(s, 0, 1, 0x6b0a2b5cL * 1_000_000L + 0x4815c);
            assertArrayEquals(expected, s.asSlice(0, expected.length).toArray(ValueLayout.JAVA_BYTE));
            for (int i = expected.length; i < Iperf2DatagramCodec.UDP_PREFIX_LENGTH; i++) {
                assertEquals(0, s.get(ValueLayout.JAVA_BYTE, i), "byte " + i);
            }
        }
    }
}
