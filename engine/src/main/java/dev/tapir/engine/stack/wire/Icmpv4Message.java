package dev.tapir.engine.stack.wire;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;

/** ICMPv4 message flyweight (RFC 792), with the echo request/reply fields. */
public final class Icmpv4Message extends Flyweight<Icmpv4Message> {
    public static final int TYPE_OFFSET = 0;
    public static final int CODE_OFFSET = 1;
    public static final int CHECKSUM_OFFSET = 2;
    public static final int IDENTIFIER_OFFSET = 4;
    public static final int SEQUENCE_NUMBER_OFFSET = 6;
    public static final int HEADER_LENGTH = 8;

    public static final int TYPE_ECHO_REPLY = 0;
    public static final int TYPE_ECHO_REQUEST = 8;

    /** Wraps a received message; false when shorter than the 8-byte header. */
    public boolean wrap(DirectBuffer buffer, int offset, int length) {
        if (length < HEADER_LENGTH) {
            return false;
        }
        wrapRead(buffer, offset, length);
        return true;
    }

    /** The checksum covers the whole message; a correct one sums to zero. */
    public boolean checksumValid() {
        return Checksum.compute(buffer, offset, length) == 0;
    }

    public int type() {
        return buffer.getByte(offset + TYPE_OFFSET) & 0xff;
    }

    public int code() {
        return buffer.getByte(offset + CODE_OFFSET) & 0xff;
    }

    public int checksum() {
        return buffer.getShort(offset + CHECKSUM_OFFSET, ByteOrder.BIG_ENDIAN) & 0xffff;
    }

    public int identifier() {
        return buffer.getShort(offset + IDENTIFIER_OFFSET, ByteOrder.BIG_ENDIAN) & 0xffff;
    }

    public int sequenceNumber() {
        return buffer.getShort(offset + SEQUENCE_NUMBER_OFFSET, ByteOrder.BIG_ENDIAN) & 0xffff;
    }
    /**
     * Changes the type and patches the checksum incrementally (RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m')), so an echo
     * reply built from a copied request costs no pass over the data.
     */
    public Icmpv4Message changeType(int type) {
        int oldWord = buffer.getShort(offset + TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xffff;
        int newWord = (type << 8) | code();
        mutableBuffer.putByte(offset + TYPE_OFFSET, (byte) type);
        long sum = (~checksum() & 0xffff) + (~oldWord & 0xffff) + newWord;
        mutableBuffer.putShort(offset + CHECKSUM_OFFSET, (short) Checksum.finish(sum), ByteOrder.BIG_ENDIAN);
        return this;
    }

    /** Writes an echo request or reply header; the data after it is the caller's. */
    public Icmpv4Message fillEcho(int type, int identifier, int sequenceNumber) {
        mutableBuffer.putByte(offset + TYPE_OFFSET, (byte) type);
        mutableBuffer.putByte(offset + CODE_OFFSET, (byte) 0);
        mutableBuffer.putShort(offset + IDENTIFIER_OFFSET, (short) identifier, ByteOrder.BIG_ENDIAN);
        mutableBuffer.putShort(offset + SEQUENCE_NUMBER_OFFSET, (short) sequenceNumber, ByteOrder.BIG_ENDIAN);
        return fillChecksum();
    }

    public Icmpv4Message fillChecksum() {
        mutableBuffer.putShort(offset + CHECKSUM_OFFSET, (short) 0);
        mutableBuffer.putShort(offset + CHECKSUM_OFFSET, (short) Checksum.compute(mutableBuffer, offset, length),
                ByteOrder.BIG_ENDIAN);
        return this;
    }
}
