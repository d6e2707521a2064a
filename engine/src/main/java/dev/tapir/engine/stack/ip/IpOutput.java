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

    /**
     * Largest L4 part one TCP packet to {@code destination} may carry as a super-frame the device cuts into
     * {@link #maxL4Length}-sized segments (TSO); {@link #maxL4Length} itself when the device cannot, or when the
     * neighbour is not resolved yet (frames waiting for ARP are kept as plain frames).
     */
    int maxTcpOffloadLength(int destination);

    /** True when the device completes partial checksums on transmit (see {@link #offloadTcp}). */
    boolean checksumOffload();

    /**
     * Marks the claimed TCP packet at {@code l4Offset}, whose checksum field holds only the folded pseudo-header sum:
     * the device completes the checksum and, when {@code segmentSize > 0}, cuts the packet into segments carrying
     * {@code segmentSize} payload bytes after the {@code tcpHeaderLength}-byte header. Call before {@link #commit};
     * only when {@link #checksumOffload()} holds, and with segmentation only for a packet larger than
     * {@link #maxL4Length} and within {@link #maxTcpOffloadLength}.
     */
    void offloadTcp(int l4Offset, int tcpHeaderLength, int segmentSize);
}
