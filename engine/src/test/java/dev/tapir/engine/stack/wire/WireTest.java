package dev.tapir.engine.stack.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tapir.engine.stack.TestFrames;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class WireTest {
    private static final int SRC = 0xc0a80001;
    private static final int DST = 0xc0a80002;
    private final UnsafeBuffer frame = new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(2048));
    private final TestFrames frames = new TestFrames();

    @Test
    void ipv4HeaderRoundTripsAndValidationNamesEachFault() {
        int length = frames.ipv4(frame, 0, 1, 2, SRC, DST, Ipv4Packet.PROTOCOL_UDP, 100);
        Ipv4Packet ip = new Ipv4Packet();
        assertTrue(ip.wrap(frame, TestFrames.IP, length - TestFrames.IP));
        assertEquals(Ipv4Packet.VALID, ip.validate());
        assertEquals(4, ip.version());
        assertEquals(20, ip.headerLength());
        assertEquals(120, ip.totalLength());
        assertEquals(64, ip.timeToLive());
        assertEquals(SRC, ip.source());
        assertEquals(DST, ip.destination());
        assertEquals(Ipv4Packet.FLAG_DONT_FRAGMENT, ip.flagsAndFragmentOffset());
        assertFalse(ip.isFragment());
        // The checksum field of a valid header, computed independently as RFC 1071 one's complement of the words.
        long sum = 0;
        for (int i = 0; i < 20; i += 2) {
            sum += i == 10 ? 0 : frame.getShort(TestFrames.IP + i, ByteOrder.BIG_ENDIAN) & 0xffff;
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        assertEquals(~sum & 0xffff, ip.headerChecksum());

        assertFalse(ip.wrap(frame, TestFrames.IP, 19), "shorter than a header");
        ip.wrap(frame, TestFrames.IP, 119);
        assertEquals(Ipv4Packet.BAD_LENGTH, ip.validate(), "total length beyond the frame");

        frame.putByte(TestFrames.IP + Ipv4Packet.TIME_TO_LIVE_OFFSET, (byte) 63);
        ip.wrap(frame, TestFrames.IP, 120);
        assertEquals(Ipv4Packet.BAD_HEADER_CHECKSUM, ip.validate());

        frame.putByte(TestFrames.IP, (byte) 0x65);
        assertEquals(Ipv4Packet.BAD_VERSION, ip.validate());
        frame.putByte(TestFrames.IP, (byte) 0x44);
        assertEquals(Ipv4Packet.BAD_LENGTH, ip.validate(), "IHL below 5");
    }

    @Test
    void fragmentsAreRecognisedByMoreFragmentsOrOffset() {
        int length = frames.ipv4(frame, 0, 1, 2, SRC, DST, Ipv4Packet.PROTOCOL_UDP, 8);
        Ipv4Packet ip = new Ipv4Packet();
        ip.wrap(frame, TestFrames.IP, length - TestFrames.IP);
        frame.putShort(TestFrames.IP + Ipv4Packet.FLAGS_AND_FRAGMENT_OFFSET_OFFSET, (short) Ipv4Packet.FLAG_MORE_FRAGMENTS,
                ByteOrder.BIG_ENDIAN);
        assertTrue(ip.isFragment());
        frame.putShort(TestFrames.IP + Ipv4Packet.FLAGS_AND_FRAGMENT_OFFSET_OFFSET, (short) 185, ByteOrder.BIG_ENDIAN);
        assertTrue(ip.isFragment());
        frame.putShort(TestFrames.IP + Ipv4Packet.FLAGS_AND_FRAGMENT_OFFSET_OFFSET, (short) 0, ByteOrder.BIG_ENDIAN);
        assertFalse(ip.isFragment());
    }

    @Test
    void echoReplyChecksumPatchedIncrementallyEqualsFullRecompute() {
        SplittableRandom random = new SplittableRandom(42);
        Icmpv4Message icmp = new Icmpv4Message();
        for (int round = 0; round < 2000; round++) {
            int dataLength = random.nextInt(0, 200);
            int length = frames.echoRequest(frame, 0, 1, 2, SRC, DST, random.nextInt(65536), random.nextInt(65536),
                    dataLength);
            for (int i = 0; i < dataLength; i++) {
                frame.putByte(TestFrames.L4 + 8 + i, (byte) random.nextInt(256));
            }
            icmp.wrapForWrite(frame, TestFrames.L4, length - TestFrames.L4).fillChecksum();
            assertTrue(icmp.checksumValid());
            icmp.changeType(Icmpv4Message.TYPE_ECHO_REPLY);
            int patched = icmp.checksum();
            assertEquals(Icmpv4Message.TYPE_ECHO_REPLY, icmp.type());
            assertTrue(icmp.checksumValid(), "patched checksum verifies");
            icmp.fillChecksum();
            // Both 0x0000 and 0xffff are the same one's complement zero; the full computation yields the former.
            assertEquals(icmp.checksum(), patched == 0xffff ? 0 : patched);
        }
    }

    @Test
    void udpChecksumIsEmittedVerifiedAndRejectsAnyFlippedBit() {
        int length = frames.udp(frame, 0, 1, 2, SRC, DST, 5001, 6001, 33);
        UdpDatagram udp = new UdpDatagram();
        int l4Length = length - TestFrames.L4;
        assertTrue(udp.wrap(frame, TestFrames.L4, l4Length));
        assertEquals(5001, udp.sourcePort());
        assertEquals(6001, udp.destinationPort());
        assertEquals(41, udp.length());
        assertEquals(33, udp.payloadLength());
        assertTrue(udp.checksumValid(SRC, DST));
        assertFalse(udp.checksumValid(SRC + 1, DST), "pseudo-header covers the addresses");
        for (int bit = 0; bit < l4Length * 8; bit++) {
            int at = TestFrames.L4 + bit / 8;
            frame.putByte(at, (byte) (frame.getByte(at) ^ (1 << (bit % 8))));
            boolean lengthStillFits = udp.wrap(frame, TestFrames.L4, l4Length);
            assertFalse(lengthStillFits && udp.checksum() != 0 && udp.checksumValid(SRC, DST), "bit " + bit);
            frame.putByte(at, (byte) (frame.getByte(at) ^ (1 << (bit % 8))));
        }
        frame.putShort(TestFrames.L4 + UdpDatagram.CHECKSUM_OFFSET, (short) 0);
        udp.wrap(frame, TestFrames.L4, l4Length);
        assertTrue(udp.checksumValid(SRC, DST), "zero means no checksum over IPv4");
        frame.putShort(TestFrames.L4 + UdpDatagram.LENGTH_OFFSET, (short) 7, ByteOrder.BIG_ENDIAN);
        assertFalse(udp.wrap(frame, TestFrames.L4, l4Length), "length field below the header");
        frame.putShort(TestFrames.L4 + UdpDatagram.LENGTH_OFFSET, (short) (l4Length + 1), ByteOrder.BIG_ENDIAN);
        assertFalse(udp.wrap(frame, TestFrames.L4, l4Length), "length field beyond the IP payload");
    }

    @Test
    void arpAndEthernetFieldsReadBackWhatWasWritten() {
        int length = frames.arpRequest(frame, 0, 0x02_11_22_33_44_55L, SRC, DST);
        EthernetFrame ethernet = new EthernetFrame();
        assertTrue(ethernet.wrap(frame, 0, length));
        assertEquals(MacAddress.BROADCAST, ethernet.destination());
        assertEquals(0x02_11_22_33_44_55L, ethernet.source());
        assertEquals(EthernetFrame.ETHER_TYPE_ARP, ethernet.etherType());
        ArpPacket arp = new ArpPacket();
        assertTrue(arp.wrap(frame, ethernet.payloadOffset(), ethernet.payloadLength()));
        assertTrue(arp.isIpv4OverEthernet());
        assertEquals(ArpPacket.OPERATION_REQUEST, arp.operation());
        assertEquals(0x02_11_22_33_44_55L, arp.senderHardwareAddress());
        assertEquals(SRC, arp.senderProtocolAddress());
        assertEquals(DST, arp.targetProtocolAddress());
        assertEquals("02:11:22:33:44:55", MacAddress.format(arp.senderHardwareAddress()));
        assertEquals(0x02_11_22_33_44_55L, MacAddress.parse("02:11:22:33:44:55"));
        assertEquals("192.168.0.1", Ipv4Address.format(SRC));
        assertEquals(SRC, Ipv4Address.parse("192.168.0.1"));
        assertFalse(ethernet.wrap(frame, 0, 13));
        assertFalse(arp.wrap(frame, 14, 27));
    }
}
