package dev.tapir.engine.test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Checks what one stream received against the {@link VerifyPattern} (the receiving half of {@code --verify}). A TCP
 * receiver hands it every chunk in stream order; a UDP receiver every datagram with its sequence number, whose
 * position in the stream follows from that number, so loss, reordering and duplicates do not matter. Header bytes of
 * a datagram are not pattern and are skipped.
 *
 * <p>Called on the receiving thread; it compares with {@link MemorySegment#mismatch} and records the first mismatch in
 * fields, allocating and printing nothing. Readers on other threads see the counts after the receiver published them.
 */
public final class PayloadVerifier {
    private final VerifyPattern pattern;
    private final int streamId;
    private final long start;
    private final int datagramLength;
    private final int headerLength;
    private long streamBytes;
    private long checked;
    private volatile long bytesChecked;
    private volatile long firstBadOffset = -1;
    private volatile int expected;
    private volatile int actual;

    private PayloadVerifier(VerifyPattern pattern, int streamId, int datagramLength, int headerLength) {
        this.pattern = pattern;
        this.streamId = streamId;
        this.start = VerifyPattern.streamStart(streamId);
        this.datagramLength = datagramLength;
        this.headerLength = headerLength;
    }

    /** For a byte stream (TCP). */
    public static PayloadVerifier forStream(VerifyPattern pattern, int streamId) {
        return new PayloadVerifier(pattern, streamId, 0, 0);
    }

    /** For datagrams of {@code datagramLength} bytes, the first {@code headerLength} of them the dialect's header. */
    public static PayloadVerifier forDatagrams(VerifyPattern pattern, int streamId, int datagramLength,
            int headerLength) {
        return new PayloadVerifier(pattern, streamId, datagramLength, headerLength);
    }

    /** The next {@code length} bytes of the stream, at {@code src[offset..]}. */
    public void onStreamBytes(MemorySegment src, long offset, int length) {
        int done = 0;
        while (done < length) {
            int piece = Math.min(length - done, VerifyPattern.MAX_SLICE);
            compare(src, offset + done, piece, streamBytes);
            streamBytes += piece;
            done += piece;
        }
        checked += length;
        bytesChecked = checked;
    }

    /** One datagram of {@code length} bytes at {@code src[offset..]} carrying (1-based) {@code sequence}. */
    public void onDatagram(MemorySegment src, long offset, int length, long sequence) {
        int payload = Math.min(length, datagramLength) - headerLength;
        if (payload <= 0 || sequence <= 0) {
            return;
        }
        compare(src, offset + headerLength, payload, (sequence - 1) * datagramLength + headerLength);
        checked += payload;
        bytesChecked = checked;
    }

    private void compare(MemorySegment src, long offset, int length, long streamOffset) {
        if (firstBadOffset >= 0) {
            return;
        }
        long at = VerifyPattern.offsetOf(start + streamOffset);
        long m = MemorySegment.mismatch(src, offset, offset + length, pattern.memory(), at, at + length);
        if (m >= 0) {
            expected = Byte.toUnsignedInt(pattern.memory().get(ValueLayout.JAVA_BYTE, at + m));
            actual = Byte.toUnsignedInt(src.get(ValueLayout.JAVA_BYTE, offset + m));
            firstBadOffset = streamOffset + m;
        }
    }

    public int streamId() {
        return streamId;
    }

    /** Payload bytes compared so far. */
    public long bytesChecked() {
        return bytesChecked;
    }

    /** Offset in the stream (headers included) of the first byte that differed, or -1. */
    public long firstBadOffset() {
        return firstBadOffset;
    }

    /** The pattern's byte at {@link #firstBadOffset()} (0..255). */
    public int expected() {
        return expected;
    }

    /** The byte received at {@link #firstBadOffset()} (0..255). */
    public int actual() {
        return actual;
    }
}
