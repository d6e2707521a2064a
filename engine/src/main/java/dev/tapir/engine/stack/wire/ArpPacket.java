package dev.tapir.engine.stack.wire;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/** ARP packet flyweight (RFC 826), only the IPv4-over-Ethernet form. */
public final class ArpPacket extends Flyweight<ArpPacket> {
    public static final int HARDWARE_TYPE_OFFSET = 0;
    public static final int PROTOCOL_TYPE_OFFSET = 2;
    public static final int HARDWARE_LENGTH_OFFSET = 4;
    public static final int PROTOCOL_LENGTH_OFFSET = 5;
    public static final int OPERATION_OFFSET = 6;
    public static final int SENDER_HARDWARE_ADDRESS_OFFSET = 8;
    public static final int SENDER_PROTOCOL_ADDRESS_OFFSET = 14;
    public static final int TARGET_HARDWARE_ADDRESS_OFFSET = 18;
    public static final int TARGET_PROTOCOL_ADDRESS_OFFSET = 24;
    public static final int LENGTH = 28;

    public static final int HARDWARE_TYPE_ETHERNET = 1;
    public static final int OPERATION_REQUEST = 1;
    public static final int OPERATION_REPLY = 2;

    /** Wraps a received packet; false when it is too short to hold the IPv4-over-Ethernet form. */
    public boolean wrap(DirectBuffer buffer, int offset, int length) {
        if (length < LENGTH) {
            return false;
        }
        wrapRead(buffer, offset, LENGTH);
        return true;
    }

    /** Wraps room for the one size of packet this stack sends, {@link #LENGTH} bytes. */
    public ArpPacket wrapForWrite(MutableDirectBuffer buffer, int offset) {
        return wrapForWrite(buffer, offset, LENGTH);
    }

    /** True when the fixed fields say IPv4 over Ethernet and the operation is a request or a reply. */
    public boolean isIpv4OverEthernet() {
        return buffer.getShort(offset + HARDWARE_TYPE_OFFSET, ByteOrder.BIG_ENDIAN) == HARDWARE_TYPE_ETHERNET
                && buffer.getShort(offset + PROTOCOL_TYPE_OFFSET, ByteOrder.BIG_ENDIAN) == EthernetFrame.ETHER_TYPE_IPV4
                && buffer.getByte(offset + HARDWARE_LENGTH_OFFSET) == MacAddress.LENGTH
                && buffer.getByte(offset + PROTOCOL_LENGTH_OFFSET) == 4
                && (operation() == OPERATION_REQUEST || operation() == OPERATION_REPLY);
    }

    public int operation() {
        return buffer.getShort(offset + OPERATION_OFFSET, ByteOrder.BIG_ENDIAN) & 0xffff;
    }

    public long senderHardwareAddress() {
        return MacAddress.get(buffer, offset + SENDER_HARDWARE_ADDRESS_OFFSET);
    }

    public int senderProtocolAddress() {
        return buffer.getInt(offset + SENDER_PROTOCOL_ADDRESS_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public long targetHardwareAddress() {
        return MacAddress.get(buffer, offset + TARGET_HARDWARE_ADDRESS_OFFSET);
    }

    public int targetProtocolAddress() {
        return buffer.getInt(offset + TARGET_PROTOCOL_ADDRESS_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    /** Writes every field of an IPv4-over-Ethernet packet. */
    public ArpPacket fill(int operation, long senderMac, int senderAddress, long targetMac, int targetAddress) {
        MutableDirectBuffer b = mutableBuffer;
        b.putShort(offset + HARDWARE_TYPE_OFFSET, (short) HARDWARE_TYPE_ETHERNET, ByteOrder.BIG_ENDIAN);
        b.putShort(offset + PROTOCOL_TYPE_OFFSET, (short) EthernetFrame.ETHER_TYPE_IPV4, ByteOrder.BIG_ENDIAN);
        b.putByte(offset + HARDWARE_LENGTH_OFFSET, (byte) MacAddress.LENGTH);
        b.putByte(offset + PROTOCOL_LENGTH_OFFSET, (byte) 4);
        b.putShort(offset + OPERATION_OFFSET, (short) operation, ByteOrder.BIG_ENDIAN);
        MacAddress.put(b, offset + SENDER_HARDWARE_ADDRESS_OFFSET, senderMac);
        b.putInt(offset + SENDER_PROTOCOL_ADDRESS_OFFSET, senderAddress, ByteOrder.BIG_ENDIAN);
        MacAddress.put(b, offset + TARGET_HARDWARE_ADDRESS_OFFSET, targetMac);
        b.putInt(offset + TARGET_PROTOCOL_ADDRESS_OFFSET, targetAddress, ByteOrder.BIG_ENDIAN);
        return this;
    }
}
