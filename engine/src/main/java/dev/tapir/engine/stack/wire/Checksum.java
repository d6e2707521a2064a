package dev.tapir.engine.stack.wire;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;

/** The Internet checksum (RFC 1071) over buffers, and the IPv4 pseudo-header sum TCP and UDP add to it. */
public final class Checksum {
    private Checksum() {
    }

    /**
     * Adds {@code buffer[offset, offset + length)} as big-endian 16-bit words to {@code sum}, unfolded; an odd last
     * byte is padded with zero. Eight bytes per step: the carries of four words fit a long for any frame size.
     */
    public static long add(long sum, DirectBuffer buffer, int offset, int length) {
        int i = offset;
        int end = offset + length;
        while (end - i >= 8) {
            long v = buffer.getLong(i, ByteOrder.BIG_ENDIAN);
            sum += (v >>> 48) + ((v >>> 32) & 0xffff) + ((v >>> 16) & 0xffff) + (v & 0xffff);
            i += 8;
        }
        while (end - i >= 2) {
            sum += buffer.getShort(i, ByteOrder.BIG_ENDIAN) & 0xffff;
            i += 2;
        }
        if (i < end) {
            sum += (buffer.getByte(i) & 0xff) << 8;
        }
        return sum;
    }

    /** The IPv4 pseudo-header of TCP/UDP (RFC 9293 §3.1): addresses, protocol and L4 length, unfolded. */
    public static long pseudoHeader(int sourceAddress, int destinationAddress, int protocol, int l4Length) {
        return (sourceAddress >>> 16) + (sourceAddress & 0xffff)
                + (destinationAddress >>> 16) + (destinationAddress & 0xffff)
                + protocol + l4Length;
    }

    /** Folds an unfolded sum to 16 bits and complements it: the value to write into a checksum field. */
    public static int finish(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) (~sum & 0xffff);
    }

    /** The checksum of {@code buffer[offset, offset + length)} alone. A region holding a correct checksum gives 0. */
    public static int compute(DirectBuffer buffer, int offset, int length) {
        return finish(add(0, buffer, offset, length));
    }
}
