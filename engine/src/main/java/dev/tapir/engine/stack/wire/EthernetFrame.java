package dev.tapir.engine.stack.wire;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;

/** Ethernet II header flyweight (IEEE 802.3 with an EtherType, no FCS), re-wrapped over each frame. */
public final class EthernetFrame extends Flyweight<EthernetFrame> {
    public static final int DESTINATION_OFFSET = 0;
    public static final int SOURCE_OFFSET = 6;
    public static final int ETHER_TYPE_OFFSET = 12;
    public static final int HEADER_LENGTH = 14;

    public static final int ETHER_TYPE_IPV4 = 0x0800;
    public static final int ETHER_TYPE_ARP = 0x0806;

    /** Wraps a received frame for reading; false (and nothing wrapped) when it is shorter than the header. */
    public boolean wrap(DirectBuffer buffer, int offset, int length) {
        if (length < HEADER_LENGTH) {
            return false;
        }
        wrapRead(buffer, offset, length);
        return true;
    }

    public long destination() {
        return MacAddress.get(buffer, offset + DESTINATION_OFFSET);
    }

    public long source() {
        return MacAddress.get(buffer, offset + SOURCE_OFFSET);
    }

    public int etherType() {
        return buffer.getShort(offset + ETHER_TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xffff;
    }

    public int payloadOffset() {
        return offset + HEADER_LENGTH;
    }

    public int payloadLength() {
        return length - HEADER_LENGTH;
    }

    public EthernetFrame destination(long mac) {
        MacAddress.put(mutableBuffer, offset + DESTINATION_OFFSET, mac);
        return this;
    }

    public EthernetFrame source(long mac) {
        MacAddress.put(mutableBuffer, offset + SOURCE_OFFSET, mac);
        return this;
    }

    public EthernetFrame etherType(int etherType) {
        mutableBuffer.putShort(offset + ETHER_TYPE_OFFSET, (short) etherType, ByteOrder.BIG_ENDIAN);
        return this;
    }
}
