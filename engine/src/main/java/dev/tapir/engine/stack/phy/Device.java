package dev.tapir.engine.stack.phy;

import org.agrona.MutableDirectBuffer;

/**
 * A link that lends its frame buffers (Ethernet frames, no FCS): the stack parses received frames where they lie and
 * builds outgoing frames in place. The in-memory link, a tap, and the wrappers (fault injector, pcap writer) all
 * implement it. Called from the stack's one thread only; time is a parameter, so wrappers that delay frames are
 * deterministic under a fake clock.
 */
public interface Device extends AutoCloseable {
    /** Largest IP packet a frame carries (the link MTU, not counting the 14-byte Ethernet header). */
    int mtu();

    /**
     * Hands up to {@code limit} received frames to {@code handler}, each valid only during its callback; never blocks.
     * Returns the number handed over.
     */
    int receive(long nowNanos, FrameHandler handler, int limit);

    /**
     * Reserves room for one outgoing frame of exactly {@code length} bytes in {@link #transmitBuffer()}; returns the
     * offset to write it at, or -1 when the link has no room now.
     */
    int claim(int length);

    /** The buffer that offsets from {@link #claim} point into. */
    MutableDirectBuffer transmitBuffer();

    /** Sends the frame written at a claimed offset. */
    void commit(long nowNanos, int offset);

    /** Gives back a claimed offset without sending. */
    void abort(int offset);

    @Override
    void close();
}
