package dev.tapir.engine.stack.ip;

import org.agrona.MutableDirectBuffer;

/**
 * How a transport protocol (TCP, UDP, ICMP) sends: it claims room for its payload in an IPv4 packet, writes its header
 * and data in place, and commits. The interface layer fills the IPv4 and Ethernet headers and resolves the next hop.
 */
public interface IpOutput {
    /** Returned by {@link #claim} when the packet cannot be sent now (link full, next hop not yet resolved). */
    int NO_ROOM = -1;
    /**
     * Returned by {@link #claim} when no route leads to the destination: retrying cannot help (the routes are fixed for
     * the life of the stack), so the caller drops the packet instead of trying again at every poll.
     */
    int NO_ROUTE = -2;

    /**
     * Reserves an IPv4 packet to {@code destination} carrying {@code protocol} with an L4 part of exactly
     * {@code l4Length} bytes; returns the offset of the L4 part in {@link #buffer()}, {@link #NO_ROOM} or
     * {@link #NO_ROUTE}.
     */
    int claim(int destination, int protocol, int l4Length);

    /** The source address the packet will carry (for the pseudo-header checksum). */
    int sourceAddress();

    MutableDirectBuffer buffer();

    /** Sends the claimed packet. */
    void commit(long nowNanos, int l4Offset);

    /** Drops the claimed packet unsent. */
    void abort(int l4Offset);

    /** Largest L4 part a single packet to {@code destination} may carry (path MTU minus the IPv4 header). */
    int maxL4Length(int destination);
}
