package dev.tapir.engine.stack;

import dev.tapir.engine.stack.wire.ArpPacket;
import dev.tapir.engine.stack.wire.EthernetFrame;
import dev.tapir.engine.stack.wire.Icmpv4Message;
import dev.tapir.engine.stack.wire.Ipv4Packet;
import dev.tapir.engine.stack.wire.UdpDatagram;
import org.agrona.MutableDirectBuffer;

/** Builds well-formed frames for tests, written with the production flyweights into a caller's buffer. */
public final class TestFrames {
    public static final int IP = EthernetFrame.HEADER_LENGTH;
    public static final int L4 = IP + Ipv4Packet.MIN_HEADER_LENGTH;

    private final EthernetFrame ethernet = new EthernetFrame();
    private final Ipv4Packet ipv4 = new Ipv4Packet();
    private final ArpPacket arp = new ArpPacket();
    private final Icmpv4Message icmp = new Icmpv4Message();
    private final UdpDatagram udp = new UdpDatagram();

    /** An ARP request from {@code senderMac/senderIp} for {@code target}; returns the frame length. */
    public int arpRequest(MutableDirectBuffer b, int at, long senderMac, int senderIp, int target) {
        ethernet.wrapForWrite(b, at, 42).destination(0xffff_ffff_ffffL).source(senderMac)
                .etherType(EthernetFrame.ETHER_TYPE_ARP);
        arp.wrapForWrite(b, at + IP).fill(ArpPacket.OPERATION_REQUEST, senderMac, senderIp, 0, target);
        return 42;
    }

    /** An IPv4 packet header plus Ethernet header for an L4 part of {@code l4Length}; returns the frame length. */
    public int ipv4(MutableDirectBuffer b, int at, long srcMac, long dstMac, int src, int dst, int protocol,
            int l4Length) {
        int length = L4 + l4Length;
        ethernet.wrapForWrite(b, at, length).destination(dstMac).source(srcMac).etherType(EthernetFrame.ETHER_TYPE_IPV4);
        ipv4.wrapForWrite(b, at + IP, Ipv4Packet.MIN_HEADER_LENGTH + l4Length)
                .fill(Ipv4Packet.MIN_HEADER_LENGTH + l4Length, 7, 64, protocol, src, dst);
        return length;
    }

    /** An ICMP echo request with {@code dataLength} bytes of pattern data. */
    public int echoRequest(MutableDirectBuffer b, int at, long srcMac, long dstMac, int src, int dst, int identifier,
            int sequence, int dataLength) {
        int l4Length = Icmpv4Message.HEADER_LENGTH + dataLength;
        int length = ipv4(b, at, srcMac, dstMac, src, dst, Ipv4Packet.PROTOCOL_ICMP, l4Length);
        for (int i = 0; i < dataLength; i++) {
            b.putByte(at + L4 + Icmpv4Message.HEADER_LENGTH + i, (byte) (i * 7 + 3));
        }
        icmp.wrapForWrite(b, at + L4, l4Length).fillEcho(Icmpv4Message.TYPE_ECHO_REQUEST, identifier, sequence);
        return length;
    }

    /** A UDP datagram with {@code dataLength} bytes of pattern data and a correct checksum. */
    public int udp(MutableDirectBuffer b, int at, long srcMac, long dstMac, int src, int dst, int srcPort, int dstPort,
            int dataLength) {
        int l4Length = UdpDatagram.HEADER_LENGTH + dataLength;
        int length = ipv4(b, at, srcMac, dstMac, src, dst, Ipv4Packet.PROTOCOL_UDP, l4Length);
        for (int i = 0; i < dataLength; i++) {
            b.putByte(at + L4 + UdpDatagram.HEADER_LENGTH + i, (byte) (i * 13 + 1));
        }
        udp.wrapForWrite(b, at + L4, l4Length).fill(srcPort, dstPort).fillChecksum(src, dst);
        return length;
    }
}
