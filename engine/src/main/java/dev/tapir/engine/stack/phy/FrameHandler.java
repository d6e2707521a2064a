package dev.tapir.engine.stack.phy;

import org.agrona.DirectBuffer;

/** Receives frames lent by a {@link Device}. */
@FunctionalInterface
public interface FrameHandler {
    /** The frame is {@code buffer[offset, offset + length)}; it is valid only until this call returns. */
    void onFrame(DirectBuffer buffer, int offset, int length);
}
