package dev.tapir.engine.stack.phy;

import org.agrona.DirectBuffer;

/** Receives frames lent by a {@link Device}. */
@FunctionalInterface
public interface FrameHandler {
    /**
     * Frame flag: the L4 checksum field holds only the pseudo-header sum (virtio-net NEEDS_CSUM). The frame was built
     * in this host's memory (the kernel or a stack on the same bridge) and crossed no wire, so it is trusted as is.
     */
    int CHECKSUM_PARTIAL = 1;
    /** Frame flag: the link vouched for the L4 checksum (virtio-net DATA_VALID). */
    int CHECKSUM_VALID = 2;

    /**
     * The frame is {@code buffer[offset, offset + length)}; it is valid only until this call returns. {@code flags}
     * is 0 or {@link #CHECKSUM_PARTIAL} / {@link #CHECKSUM_VALID}; either of them means the L4 checksum needs no check.
     */
    void onFrame(DirectBuffer buffer, int offset, int length, int flags);

    /** True when {@code flags} of a frame say its L4 checksum needs no check. */
    static boolean checksumTrusted(int flags) {
        return (flags & (CHECKSUM_PARTIAL | CHECKSUM_VALID)) != 0;
    }
}
