package dev.tapir.engine.stack.wire;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;

/** UDP header flyweight (RFC 768) over the L4 part of an IPv4 packet. */
public final class UdpDatagram extends Flyweight<UdpDatagram> {
    public static final int SOURCE_PORT_OFFSET = 0;
    public static final int DESTINATION_PORT_OFFSET = 2;
    public static final int LENGTH_OFFSET = 4;
    public static final int CHECKSUM_OFFSET = 6;
    public static final int HEADER_LENGTH = 8;

    /**
     * Wraps the IP payload; false when it cannot hold the header or the header's length field does not fit between
     * 8 bytes and the IP payload length.
     */
    public boolean wrap(DirectBuffer buffer, int offset, int ipPayloadLength) {
        if (ipPayloadLength < HEADER_LENGTH) {
            return false;
        }
        int udpLength = buffer.getShort(offset + LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xffff;
        if (udpLength < HEADER_LENGTH || udpLength > ipPayloadLength) {
            return false;
        }
        wrapRead(buffer, offset, udpLength);
        return true;
    }

    /** A zero checksum means the sender computed none (allowed over IPv4); otherwise the sum must come out zero. */
    public boolean checksumValid(int source, int destination) {
        if (checksum() == 0) {
            return true;
        }
        long sum = Checksum.pseudoHeader(source, destination, Ipv4Packet.PROTOCOL_UDP, length);
        return Checksum.finish(Checksum.add(sum, buffer, offset, length)) == 0;
    }

    public int sourcePort() {
        return buffer.getShort(offset + SOURCE_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xffff;
    }

    public int destinationPort() {
        return buffer.getShort(offset + DESTINATION_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xffff;
    }

    public int checksum() {
        return buffer.getShort(offset + CHECKSUM_OFFSET, ByteOrder.BIG_ENDIAN) & 0xffff;
    }

    public int payloadOffset() {
        return offset + HEADER_LENGTH;
    }

    public int payloadLength() {
        return length - HEADER_LENGTH;
    }

    /** Writes the header fields for a datagram of the wrapped length; call {@link #fillChecksum} after the data. */
    public UdpDatagram fill(int sourcePort, int destinationPort) {
        mutableBuffer.putShort(offset + SOURCE_PORT_OFFSET, (short) sourcePort, ByteOrder.BIG_ENDIAN);
        mutableBuffer.putShort(offset + DESTINATION_PORT_OFFSET, (short) destinationPort, ByteOrder.BIG_ENDIAN);
        mutableBuffer.putShort(offset + LENGTH_OFFSET, (short) length, ByteOrder.BIG_ENDIAN);
        return this;
    }

    /** Computes the checksum over pseudo-header, header and data; a computed zero is sent as 0xffff (RFC 768). */
    public UdpDatagram fillChecksum(int source, int destination) {
        mutableBuffer.putShort(offset + CHECKSUM_OFFSET, (short) 0);
        long sum = Checksum.pseudoHeader(source, destination, Ipv4Packet.PROTOCOL_UDP, length);
        int checksum = Checksum.finish(Checksum.add(sum, mutableBuffer, offset, length));
        mutableBuffer.putShort(offset + CHECKSUM_OFFSET, (short) (checksum == 0 ? 0xffff : checksum),
                ByteOrder.BIG_ENDIAN);
        return this;
    }
}
