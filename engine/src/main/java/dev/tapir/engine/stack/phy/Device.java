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
     * The offloads this link grants, fixed when it was opened: a wrapper reports its inner device's. Without
     * {@link DeviceOffloads#transmitChecksumPartial()} a sender must never call {@link #offloadTransmit}.
     */
    DeviceOffloads offloads();

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

    /**
     * Marks the frame at a claimed offset before its commit. Its L4 checksum field, at {@code checksumStart +
     * checksumOffset} from the frame's start, holds only the folded pseudo-header sum; the link completes it over
     * {@code [checksumStart, end of frame)}. With {@code segmentSize > 0} the frame is a TCPv4 super-frame with
     * {@code headerLength} bytes of Ethernet, IPv4 and TCP headers that the link cuts into segments carrying
     * {@code segmentSize} payload bytes each (the last one less). Only within what {@link #offloads()} grants.
     */
    void offloadTransmit(int offset, int checksumStart, int checksumOffset, int headerLength, int segmentSize);

    /**
     * Sends the frame written at a claimed offset, at once or, on a link that batches, at the next
     * {@link #sendCommitted} at the latest.
     */
    void commit(long nowNanos, int offset);

    /**
     * Sends the committed frames a batching link still holds; the stack calls it at the end of every duty cycle.
     * Links that send at commit have nothing to do.
     */
    default void sendCommitted(long nowNanos) {
    }

    /** Gives back a claimed offset without sending. */
    void abort(int offset);

    @Override
    void close();
}
