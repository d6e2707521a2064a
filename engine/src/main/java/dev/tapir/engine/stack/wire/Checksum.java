package dev.tapir.engine.stack.wire;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.UnsafeApi;

/** The Internet checksum (RFC 1071) over buffers, and the IPv4 pseudo-header sum TCP and UDP add to it. */
public final class Checksum {
    private static final long LOW_32 = 0xffff_ffffL;
    private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private Checksum() {
    }

    /**
     * Adds {@code buffer[offset, offset + length)} as big-endian 16-bit words to {@code sum}, unfolded; an odd last
     * byte is padded with zero.
     *
     * <p>Why it is fast: the ones' complement sum is the same whatever the byte order, swapped (RFC 1071 §2(B)), so
     * the loop reads words in the machine's order (no byte swap per word) and, on a little-endian machine, swaps the
     * folded result once. Since 2^16 = 1 modulo 0xffff, 32-bit words can be added as they are: each load is a
     * zero-extending 32-bit read and one add (two instructions per 4 bytes), into one of four accumulators (four
     * chains the CPU runs side by side); a long holds 2^31 such adds, far beyond any frame. The loop counts an int
     * up to a bound fixed before it starts, so C2 unrolls it as a counted loop (a pointer-compare loop runs about
     * half as fast). One bounds check covers the range, then the reads go straight to memory.
     */
    public static long add(long sum, DirectBuffer buffer, int offset, int length) {
        buffer.boundsCheck(offset, length);
        byte[] array = buffer.byteArray();
        long address = buffer.addressOffset() + offset;
        long a = 0;
        long b = 0;
        long c = 0;
        long d = 0;
        int blocks = length >>> 4;
        for (int i = 0; i < blocks; i++) {
            long at = address + ((long) i << 4);
            a += UnsafeApi.getInt(array, at) & LOW_32;
            b += UnsafeApi.getInt(array, at + 4) & LOW_32;
            c += UnsafeApi.getInt(array, at + 8) & LOW_32;
            d += UnsafeApi.getInt(array, at + 12) & LOW_32;
        }
        a += b + c + d;
        address += (long) blocks << 4;
        long end = address + (length & 15);
        while (end - address >= 4) {
            a += UnsafeApi.getInt(array, address) & LOW_32;
            address += 4;
        }
        if (end - address >= 2) {
            a += UnsafeApi.getShort(array, address) & 0xffff;
            address += 2;
        }
        if (!LITTLE_ENDIAN) {
            return sum + a + (address < end ? (UnsafeApi.getByte(array, address) & 0xff) << 8 : 0);
        }
        if (address < end) {
            a += UnsafeApi.getByte(array, address) & 0xff;
        }
        int folded = fold(a);
        return sum + (((folded & 0xff) << 8) | (folded >>> 8));
    }

    /** The IPv4 pseudo-header of TCP/UDP (RFC 9293 §3.1): addresses, protocol and L4 length, unfolded. */
    public static long pseudoHeader(int sourceAddress, int destinationAddress, int protocol, int l4Length) {
        return (sourceAddress >>> 16) + (sourceAddress & 0xffff)
                + (destinationAddress >>> 16) + (destinationAddress & 0xffff)
                + protocol + l4Length;
    }

    /** Folds an unfolded sum to 16 bits and complements it: the value to write into a checksum field. */
    public static int finish(long sum) {
        return ~fold(sum) & 0xffff;
    }

    /** The checksum of {@code buffer[offset, offset + length)} alone. A region holding a correct checksum gives 0. */
    public static int compute(DirectBuffer buffer, int offset, int length) {
        return finish(add(0, buffer, offset, length));
    }

    /** Ones' complement fold with end-around carry: the same value modulo 0xffff, in 16 bits. */
    private static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) sum;
    }
}
