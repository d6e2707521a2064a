package dev.tapir.engine.stack.wire;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/** IPv4 header flyweight (RFC 791). {@link #validate} checks a received packet once; getters then trust it. */
public final class Ipv4Packet extends Flyweight<Ipv4Packet> {
    public static final int VERSION_AND_HEADER_LENGTH_OFFSET = 0;
    public static final int TYPE_OF_SERVICE_OFFSET = 1;
    public static final int TOTAL_LENGTH_OFFSET = 2;
    public static final int IDENTIFICATION_OFFSET = 4;
    public static final int FLAGS_AND_FRAGMENT_OFFSET_OFFSET = 6;
    public static final int TIME_TO_LIVE_OFFSET = 8;
    public static final int PROTOCOL_OFFSET = 9;
    public static final int HEADER_CHECKSUM_OFFSET = 10;
    public static final int SOURCE_OFFSET = 12;
    public static final int DESTINATION_OFFSET = 16;
    public static final int MIN_HEADER_LENGTH = 20;
    public static final int MAX_HEADER_LENGTH = 60;

    public static final int PROTOCOL_ICMP = 1;
    public static final int PROTOCOL_TCP = 6;
    public static final int PROTOCOL_UDP = 17;

    public static final int FLAG_DONT_FRAGMENT = 0x4000;
    public static final int FLAG_MORE_FRAGMENTS = 0x2000;
    public static final int FRAGMENT_OFFSET_MASK = 0x1fff;

    /** {@link #validate} results. */
    public static final int VALID = 0;
    public static final int BAD_VERSION = 1;
    public static final int BAD_LENGTH = 2;
    public static final int BAD_HEADER_CHECKSUM = 3;

    /** Wraps received bytes; false when they cannot hold even a minimal header. */
    public boolean wrap(DirectBuffer buffer, int offset, int length) {
        if (length < MIN_HEADER_LENGTH) {
            return false;
        }
        wrapRead(buffer, offset, length);
        return true;
    }

    /**
     * Checks version 4, a header length of at least 20 bytes, a total length that covers the header and fits the
     * wrapped bytes (link padding after it is allowed), and the header checksum.
     */
    public int validate() {
        int first = buffer.getByte(offset) & 0xff;
        if ((first >>> 4) != 4) {
            return BAD_VERSION;
        }
        int headerLength = (first & 0xf) << 2;
        int totalLength = totalLength();
        if (headerLength < MIN_HEADER_LENGTH || headerLength > totalLength || totalLength > length) {
            return BAD_LENGTH;
        }
        if (Checksum.compute(buffer, offset, headerLength) != 0) {
            return BAD_HEADER_CHECKSUM;
        }
        return VALID;
    }

    public int version() {
        return (buffer.getByte(offset) & 0xff) >>> 4;
    }

    public int headerLength() {
        return (buffer.getByte(offset) & 0xf) << 2;
    }

    public int totalLength() {
        return buffer.getShort(offset + TOTAL_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xffff;
    }

    public int identification() {
        return buffer.getShort(offset + IDENTIFICATION_OFFSET, ByteOrder.BIG_ENDIAN) & 0xffff;
    }

    public int flagsAndFragmentOffset() {
        return buffer.getShort(offset + FLAGS_AND_FRAGMENT_OFFSET_OFFSET, ByteOrder.BIG_ENDIAN) & 0xffff;
    }

    /** A fragment is any packet with More Fragments set or a non-zero fragment offset. */
    public boolean isFragment() {
        return (flagsAndFragmentOffset() & (FLAG_MORE_FRAGMENTS | FRAGMENT_OFFSET_MASK)) != 0;
    }

    public int timeToLive() {
        return buffer.getByte(offset + TIME_TO_LIVE_OFFSET) & 0xff;
    }

    public int protocol() {
        return buffer.getByte(offset + PROTOCOL_OFFSET) & 0xff;
    }

    public int headerChecksum() {
        return buffer.getShort(offset + HEADER_CHECKSUM_OFFSET, ByteOrder.BIG_ENDIAN) & 0xffff;
    }

    public int source() {
        return buffer.getInt(offset + SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public int destination() {
        return buffer.getInt(offset + DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public int payloadOffset() {
        return offset + headerLength();
    }

    public int payloadLength() {
        return totalLength() - headerLength();
    }

    /**
     * Writes a 20-byte header without options and its checksum: the one form this stack sends. Don't Fragment is
     * set because the stack never fragments (the transports size segments to the MTU).
     */
    public Ipv4Packet fill(int totalLength, int identification, int timeToLive, int protocol, int source,
            int destination) {
        MutableDirectBuffer b = mutableBuffer;
        b.putShort(offset, (short) 0x4500, ByteOrder.BIG_ENDIAN);
        b.putShort(offset + TOTAL_LENGTH_OFFSET, (short) totalLength, ByteOrder.BIG_ENDIAN);
        b.putShort(offset + IDENTIFICATION_OFFSET, (short) identification, ByteOrder.BIG_ENDIAN);
        b.putShort(offset + FLAGS_AND_FRAGMENT_OFFSET_OFFSET, (short) FLAG_DONT_FRAGMENT, ByteOrder.BIG_ENDIAN);
        b.putByte(offset + TIME_TO_LIVE_OFFSET, (byte) timeToLive);
        b.putByte(offset + PROTOCOL_OFFSET, (byte) protocol);
        b.putInt(offset + SOURCE_OFFSET, source, ByteOrder.BIG_ENDIAN);
        b.putInt(offset + DESTINATION_OFFSET, destination, ByteOrder.BIG_ENDIAN);
        return fillHeaderChecksum();
    }

    public Ipv4Packet fillHeaderChecksum() {
        mutableBuffer.putShort(offset + HEADER_CHECKSUM_OFFSET, (short) 0);
        int sum = Checksum.compute(mutableBuffer, offset, headerLength());
        mutableBuffer.putShort(offset + HEADER_CHECKSUM_OFFSET, (short) sum, ByteOrder.BIG_ENDIAN);
        return this;
    }
}
