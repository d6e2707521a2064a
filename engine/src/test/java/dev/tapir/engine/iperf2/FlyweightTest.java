package dev.tapir.engine.iperf2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** Each flyweight writes exactly the bytes 2.1.8 put on the wire and parses them back to the documented values. */
class FlyweightTest {
    private static byte[] head(MemorySegment s, int length) {
        return s.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void udpDataDatagramHeaderMatchesCapture() {
        try (Arena arena = Arena.ofConfined()) {
            byte[] expected = CapturedBytes.bytes(CapturedBytes.UDP_DATAGRAM_1_HEAD);
            MemorySegment s = arena.allocate(1470);
            s.fill((byte) 0x55);
            new ClientHeader().wrap(s, UdpDatagramHeader.LENGTH).writeAs218(ClientHeader.UDP_FLAGS, 5001, 1470, -200,
                    10_485_760);
            new UdpDatagramHeader().wrap(s, 0).sequence64(1).sentMicros(0x6b0a2b5cL * 1_000_000L + 0x0004815c);
            assertArrayEquals(expected, head(s, expected.length));

            MemorySegment captured = CapturedBytes.segment(arena, CapturedBytes.UDP_DATAGRAM_1_HEAD, 160);
            UdpDatagramHeader h = new UdpDatagramHeader().wrap(captured, 0);
            assertEquals(1, h.sequence64());
            assertEquals(0x6b0a2b5c, h.sec());
            assertEquals(295_260, h.usec());
            ClientHeader c = new ClientHeader().wrap(captured, UdpDatagramHeader.LENGTH);
            assertEquals(0x48010098, c.flags());
            assertTrue((c.flags() & ClientHeader.HEADER_SEQNO64B) != 0);
            assertEquals(1, c.numThreads());
            assertEquals(5001, c.port());
            assertEquals(1470, c.bufLen());
            assertEquals(0, c.winBand());
            assertEquals(-200, c.amount());
            assertEquals(0x00020001, c.versionUpper());
            assertEquals(0x00080003, c.versionLower());
            assertEquals(10_485_760, c.rateLower());
            assertEquals(0, c.rateUpper());
        }
    }

    @Test
    void finCarriesNegativeSequenceAcrossBothWords() {
        try (Arena arena = Arena.ofConfined()) {
            byte[] expected = CapturedBytes.bytes(CapturedBytes.UDP_FIN_HEAD);
            MemorySegment s = arena.allocate(160);
            new ClientHeader().wrap(s, UdpDatagramHeader.LENGTH).writeAs218(ClientHeader.UDP_FLAGS, 5001, 1470, -200,
                    10_485_760);
            new UdpDatagramHeader().wrap(s, 0).sequence64(-1787).sec(0x6b0a2b5e).usec(0x00048963);
            assertArrayEquals(expected, head(s, expected.length));
            UdpDatagramHeader h = new UdpDatagramHeader().wrap(CapturedBytes.segment(arena, CapturedBytes.UDP_FIN_HEAD, 0), 0);
            assertEquals(-1787, h.sequence64());
            assertEquals(-1787, h.sequence32());
        }
    }

    @Test
    void oldHeaderIdIsSigned32Bit() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(UdpDatagramHeader.OLD_LENGTH);
            UdpDatagramHeader h = new UdpDatagramHeader().wrap(s, 0);
            h.id(-101).sec(1).usec(2);
            assertArrayEquals(CapturedBytes.bytes("ffffff9b 00000001 00000002"), head(s, 12));
            assertEquals(-101, h.sequence32());
            assertEquals(1_000_002, h.sentMicros());
        }
    }

    @Test
    void tcpClientHeaderMatchesCapture() {
        try (Arena arena = Arena.ofConfined()) {
            byte[] expected = CapturedBytes.bytes(CapturedBytes.TCP_HEADER);
            MemorySegment s = arena.allocate(ClientHeader.LENGTH);
            s.fill((byte) 0x55);
            new ClientHeader().wrap(s, 0).writeAs218(ClientHeader.TCP_FLAGS, 5001, 0,
                    ClientHeader.amountForDuration(1_000_000_000L), 0);
            assertArrayEquals(expected, head(s, ClientHeader.LENGTH));

            ClientHeader c = new ClientHeader().wrap(CapturedBytes.segment(arena, CapturedBytes.TCP_HEADER, 0), 0);
            assertEquals(0x40010078, c.flags());
            assertTrue(ClientHeader.plausibleFlags(c.flags()));
            assertEquals(1, c.numThreads());
            assertEquals(5001, c.port());
            assertEquals(0, c.bufLen());
            assertEquals(-100, c.amount());
            assertEquals(0, c.type());
            assertEquals(0, c.extLength());
            assertEquals(0, c.upperFlags());
            assertEquals(0, c.lowerFlags());
            assertEquals(0, c.tos());
            assertEquals(0x00020001, c.versionUpper());
            assertEquals(0x00080003, c.versionLower());
        }
    }

    @Test
    void payloadPatternAndZerosAreNotHeaderFlags() {
        assertFalse(ClientHeader.plausibleFlags(0x30313233));
        assertFalse(ClientHeader.plausibleFlags(0x36373839));
        assertFalse(ClientHeader.plausibleFlags(0));
        assertTrue(ClientHeader.plausibleFlags(ClientHeader.HEADER_VERSION1));
    }

    @Test
    void clientHeaderAckMatchesCapture() {
        try (Arena arena = Arena.ofConfined()) {
            byte[] expected = CapturedBytes.bytes(CapturedBytes.CLIENT_HEADER_ACK);
            MemorySegment s = arena.allocate(ClientHeaderAck.LENGTH);
            s.fill((byte) 0x55);
            new ClientHeaderAck().wrap(s, 0).writeAs218();
            assertArrayEquals(expected, head(s, ClientHeaderAck.LENGTH));
            ClientHeaderAck a = new ClientHeaderAck().wrap(CapturedBytes.segment(arena, CapturedBytes.CLIENT_HEADER_ACK, 0), 0);
            assertTrue(a.isAck());
            assertEquals(2, a.type());
            assertEquals(28, a.length());
            assertEquals(0, a.flags());
            assertEquals(0x00020001, a.versionUpper());
            assertEquals(0x00080003, a.versionLower());
        }
    }

    @Test
    void serverReportsMatchCaptures() {
        try (Arena arena = Arena.ofConfined()) {
            checkReport(arena, CapturedBytes.REPORT_2S, 2_626_890, 2_001_965, 0, 0, 1787, 1, 2, 92, 4924, 2,
                    12624.134303, 0, 1787, 892);
            checkReport(arena, CapturedBytes.REPORT_93, 136_710, 1_020_853, 0, 0, 93, 1, 4, 53, 785, 8, 6406.924731,
                    -3, 93, 91);
            checkReport(arena, CapturedBytes.REPORT_OLD_HEADER, 148_470, 110_131, 0, 0, 101, 1, 6, 170, 979, 9,
                    26751.089108, 16, 101, 917);
        }
    }

    private static void checkReport(Arena arena, String hex, long bytes, long stopMicros, long lost, long outOfOrder,
            long datagrams, long jitter, long min, long max, long sum, long mean, double m2, long vd, int cntTransit,
            int cntIpg) {
        ServerReport r = new ServerReport().wrap(CapturedBytes.segment(arena, hex, 0), 0);
        assertTrue(r.isReport());
        assertEquals(ServerReport.FLAGS, r.flags());
        assertEquals(bytes, r.totalLength());
        assertEquals(stopMicros, r.stopMicros());
        assertEquals(lost, r.errorCount());
        assertEquals(outOfOrder, r.outOfOrderCount());
        assertEquals(datagrams, r.datagrams());
        assertEquals(jitter, r.jitterMicros());
        assertEquals(min, r.minTransitMicros());
        assertEquals(max, r.maxTransitMicros());
        assertEquals(sum, r.sumTransitMicros());
        assertEquals(mean, r.meanTransitMicros());
        assertEquals(m2, r.m2TransitMicros2(), 1e-9);
        assertEquals(vd, r.vdTransitMicros());
        assertEquals(cntTransit, r.cntTransit());
        assertEquals(cntIpg, r.cntIpg());
        assertEquals(1, r.ipgSum());

        MemorySegment written = arena.allocate(ServerReport.LENGTH);
        written.fill((byte) 0x55);
        new ServerReport().wrap(written, 0).clear().flags(ServerReport.FLAGS).totalLength(bytes).stopMicros(stopMicros)
                .errorCount(lost).outOfOrderCount(outOfOrder).datagrams(datagrams).jitterMicros(jitter)
                .minTransitMicros(min).maxTransitMicros(max).sumTransitMicros(sum).meanTransitMicros(mean)
                .m2TransitMicros2(m2).vdTransitMicros(vd).cntTransit(cntTransit).cntIpg(cntIpg).ipgSum(1);
        assertArrayEquals(CapturedBytes.bytes(hex), head(written, ServerReport.LENGTH));
    }
}
