package dev.tapir.engine.stack.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class ChecksumTest {
    /** RFC 1071 taken literally: big-endian 16-bit words one at a time, an odd last byte padded on the right. */
    private static int reference(long start, UnsafeBuffer buffer, int offset, int length) {
        long sum = start;
        int i = 0;
        for (; i + 1 < length; i += 2) {
            sum += buffer.getShort(offset + i, ByteOrder.BIG_ENDIAN) & 0xffff;
        }
        if (i < length) {
            sum += (buffer.getByte(offset + i) & 0xff) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) (~sum & 0xffff);
    }

    @Test
    void wideSumEqualsWordByWordSumForEveryAlignmentLengthAndStartingSum() {
        UnsafeBuffer buffer = new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(70_000));
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < buffer.capacity(); i++) {
            buffer.putByte(i, (byte) random.nextInt());
        }
        for (int offset = 0; offset < 16; offset++) {
            for (int length = 0; length <= 80; length++) {
                long start = random.nextLong(1L << 40);
                assertEquals(reference(start, buffer, offset, length),
                        Checksum.finish(Checksum.add(start, buffer, offset, length)), offset + "+" + length);
            }
        }
        for (int length : new int[] {1499, 1500, 65_535, 65_536}) {
            assertEquals(reference(0, buffer, 3, length), Checksum.compute(buffer, 3, length), "length " + length);
        }
        // All ones sum to a ones' complement zero (0xffff), whose checksum is 0: no fold may turn it into 0x0000.
        buffer.setMemory(0, 1500, (byte) 0xff);
        assertEquals(0, Checksum.compute(buffer, 0, 1500));
        assertEquals(reference(0, buffer, 0, 1500), Checksum.compute(buffer, 0, 1500));
        buffer.setMemory(0, 1500, (byte) 0);
        assertEquals(0xffff, Checksum.compute(buffer, 0, 1500));
    }

    @Test
    void aRangeOutsideTheBufferIsRefusedNotRead() {
        UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
        assertThrows(IndexOutOfBoundsException.class, () -> Checksum.add(0, buffer, 60, 8));
        assertEquals(reference(0, buffer, 0, 64), Checksum.compute(buffer, 0, 64), "heap buffers are read too");
    }
}
