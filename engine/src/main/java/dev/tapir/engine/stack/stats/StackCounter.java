package dev.tapir.engine.stack.stats;

/**
 * What a stack instance counts. Every received frame ends in exactly one <em>outcome</em> counter (a delivery or a
 * drop reason), so the outcomes add up to {@link #FRAMES_RECEIVED}; the rest count events on the send side.
 * TCP segments are counted once handed to the TCP layer, which keeps its own counters of what it drops.
 */
public enum StackCounter {
    FRAMES_RECEIVED(false),
    FRAMES_SENT(false),

    ETHERNET_TRUNCATED(true),
    ETHERNET_NOT_FOR_US(true),
    ETHERNET_UNKNOWN_TYPE(true),

    ARP_MALFORMED(true),
    ARP_NOT_FOR_US(true),
    ARP_REQUEST_ANSWERED(true),
    ARP_REPLY_RECEIVED(true),
    ARP_REQUESTS_SENT(false),
    ARP_REPLY_UNSENT(true),
    ARP_PENDING_OVERFLOW(false),
    ARP_UNRESOLVED_DROPPED(false),
    ARP_EVICTIONS(false),

    IPV4_BAD_VERSION(true),
    IPV4_BAD_LENGTH(true),
    IPV4_BAD_HEADER_CHECKSUM(true),
    IPV4_BAD_SOURCE(true),
    IPV4_NOT_FOR_US(true),
    IPV4_FRAGMENT_DROPPED(true),
    IPV4_UNKNOWN_PROTOCOL(true),
    IPV4_SENT(false),
    IPV4_NO_ROUTE(false),
    IPV4_LINK_FULL(false),

    ICMP_MALFORMED(true),
    ICMP_BAD_CHECKSUM(true),
    ICMP_ECHO_ANSWERED(true),
    ICMP_ECHO_UNANSWERED(true),
    ICMP_OTHER(true),

    UDP_MALFORMED(true),
    UDP_BAD_CHECKSUM(true),
    UDP_NO_SOCKET(true),
    UDP_QUEUE_FULL(true),
    UDP_DELIVERED(true),
    UDP_SENT(false),

    TCP_DELIVERED(true);

    private final boolean outcome;

    StackCounter(boolean outcome) {
        this.outcome = outcome;
    }

    /** True for the counters that end a received frame's path. */
    public boolean isOutcome() {
        return outcome;
    }
}
