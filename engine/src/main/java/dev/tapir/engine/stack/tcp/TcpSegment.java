package dev.tapir.engine.stack.tcp;

import dev.tapir.engine.stack.wire.Checksum;
import dev.tapir.engine.stack.wire.Flyweight;
import java.nio.ByteOrder;
import org.agrona.DirectBuffer;

/**
 * A flyweight over a TCP header and its payload (RFC 9293 §3.1) in a buffer: fields are read and written in place
 * after one length check, nothing is copied. Re-wrap one instance over each segment.
 */
public final class TcpSegment extends Flyweight<TcpSegment> {
    public static final int PROTOCOL = 6;
    public static final int SOURCE_PORT_OFFSET = 0;
    public static final int DESTINATION_PORT_OFFSET = 2;
    public static final int SEQUENCE_OFFSET = 4;
    public static final int ACKNOWLEDGMENT_OFFSET = 8;
    public static final int DATA_OFFSET_OFFSET = 12;
    public static final int FLAGS_OFFSET = 13;
    public static final int WINDOW_OFFSET = 14;
    public static final int CHECKSUM_OFFSET = 16;
    public static final int URGENT_POINTER_OFFSET = 18;
    public static final int HEADER_LENGTH = 20;
    public static final int MAX_HEADER_LENGTH = 60;

    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;
    public static final int URG = 0x20;
    public static final int ECE = 0x40;
    public static final int CWR = 0x80;

    /**
     * Wraps a received segment {@code buffer[offset, offset + length)}; returns false if it is too short for its
     * header (then no accessor may be used).
     */
    public boolean wrap(DirectBuffer buffer, int offset, int length) {
        wrapRead(buffer, offset, length);
        if (length < HEADER_LENGTH) {
            return false;
        }
        int headerLength = headerLength();
        return headerLength >= HEADER_LENGTH && headerLength <= length;
    }

    public int sourcePort() {
        return buffer.getShort(offset + SOURCE_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xffff;
    }

    public int destinationPort() {
        return buffer.getShort(offset + DESTINATION_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xffff;
    }

    public int sequenceNumber() {
        return buffer.getInt(offset + SEQUENCE_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public int acknowledgmentNumber() {
        return buffer.getInt(offset + ACKNOWLEDGMENT_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    /** Header length in bytes, options included (the data offset field times 4). */
    public int headerLength() {
        return ((buffer.getByte(offset + DATA_OFFSET_OFFSET) & 0xff) >>> 4) * 4;
    }

    public int flags() {
        return buffer.getByte(offset + FLAGS_OFFSET) & 0xff;
    }

    public boolean hasFlag(int flag) {
        return (flags() & flag) != 0;
    }

    /** The window field as sent, unscaled. */
    public int window() {
        return buffer.getShort(offset + WINDOW_OFFSET, ByteOrder.BIG_ENDIAN) & 0xffff;
    }

    public int checksum() {
        return buffer.getShort(offset + CHECKSUM_OFFSET, ByteOrder.BIG_ENDIAN) & 0xffff;
    }

    public int urgentPointer() {
        return buffer.getShort(offset + URGENT_POINTER_OFFSET, ByteOrder.BIG_ENDIAN) & 0xffff;
    }

    public int optionsOffset() {
        return offset + HEADER_LENGTH;
    }

    public int optionsLength() {
        return headerLength() - HEADER_LENGTH;
    }

    public int payloadOffset() {
        return offset + headerLength();
    }

    public int payloadLength() {
        return length - headerLength();
    }

    /** Sequence space the segment occupies: payload plus one each for SYN and FIN. */
    public int sequenceLength() {
        int f = flags();
        return payloadLength() + (f & SYN) / SYN + (f & FIN);
    }

    /** Parses the options into {@code into}; false if they are malformed. */
    public boolean parseOptions(TcpOptions into) {
        return into.parse(buffer, optionsOffset(), optionsLength());
    }

    /** True if the checksum over the IPv4 pseudo-header and the whole segment is correct. */
    public boolean checksumValid(int sourceAddress, int destinationAddress) {
        long sum = Checksum.pseudoHeader(sourceAddress, destinationAddress, PROTOCOL, length);
        return Checksum.finish(Checksum.add(sum, buffer, offset, length)) == 0;
    }

    public TcpSegment sourcePort(int port) {
        mutableBuffer.putShort(offset + SOURCE_PORT_OFFSET, (short) port, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public TcpSegment destinationPort(int port) {
        mutableBuffer.putShort(offset + DESTINATION_PORT_OFFSET, (short) port, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public TcpSegment sequenceNumber(int seq) {
        mutableBuffer.putInt(offset + SEQUENCE_OFFSET, seq, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public TcpSegment acknowledgmentNumber(int ack) {
        mutableBuffer.putInt(offset + ACKNOWLEDGMENT_OFFSET, ack, ByteOrder.BIG_ENDIAN);
        return this;
    }

    /** Sets the data offset from a header length in bytes (a multiple of 4, 20..60) and clears the reserved bits. */
    public TcpSegment headerLength(int bytes) {
        mutableBuffer.putByte(offset + DATA_OFFSET_OFFSET, (byte) ((bytes / 4) << 4));
        return this;
    }

    public TcpSegment flags(int flags) {
        mutableBuffer.putByte(offset + FLAGS_OFFSET, (byte) flags);
        return this;
    }

    public TcpSegment window(int window) {
        mutableBuffer.putShort(offset + WINDOW_OFFSET, (short) window, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public TcpSegment urgentPointer(int pointer) {
        mutableBuffer.putShort(offset + URGENT_POINTER_OFFSET, (short) pointer, ByteOrder.BIG_ENDIAN);
        return this;
    }

    /** Writes options after the fixed header; returns their length (the caller sets the header length). */
    public int writeOptions(TcpOptions options) {
        return options.write(mutableBuffer, offset + HEADER_LENGTH);
    }

    /**
     * Stores the folded pseudo-header sum in the checksum field and leaves the rest to the device, which completes
     * the checksum over the whole segment (checksum offload; for a super-frame, over each segment it cuts).
     */
    public TcpSegment partialChecksum(int sourceAddress, int destinationAddress) {
        // The folded sum, not complemented (CHECKSUM_PARTIAL): whoever completes it adds the segment's words to it.
        int partial = ~Checksum.finish(Checksum.pseudoHeader(sourceAddress, destinationAddress, PROTOCOL, length))
                & 0xffff;
        mutableBuffer.putShort(offset + CHECKSUM_OFFSET, (short) partial, ByteOrder.BIG_ENDIAN);
        return this;
    }

    /** Computes and stores the checksum over the pseudo-header and the whole segment (header, options, payload). */
    public TcpSegment computeChecksum(int sourceAddress, int destinationAddress) {
        mutableBuffer.putShort(offset + CHECKSUM_OFFSET, (short) 0);
        long sum = Checksum.pseudoHeader(sourceAddress, destinationAddress, PROTOCOL, length);
        int value = Checksum.finish(Checksum.add(sum, mutableBuffer, offset, length));
        mutableBuffer.putShort(offset + CHECKSUM_OFFSET, (short) value, ByteOrder.BIG_ENDIAN);
        return this;
    }
}
