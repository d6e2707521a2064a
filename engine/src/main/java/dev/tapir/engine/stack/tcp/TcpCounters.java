package dev.tapir.engine.stack.tcp;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Live figures of a {@link TcpLayer} or a {@link TcpSocket}: the stack thread is the only writer and publishes each
 * value with a release store; any thread reads with {@link #get} (acquire) without disturbing the loop.
 */
public final class TcpCounters {
    private static final VarHandle VALUES = MethodHandles.arrayElementVarHandle(long[].class);

    // Layer counters.
    public static final int SEGMENTS_IN = 0;
    public static final int SEGMENTS_OUT = 1;
    public static final int DROPPED_BAD_CHECKSUM = 2;
    public static final int DROPPED_MALFORMED = 3;
    public static final int DROPPED_NO_SOCKET = 4;
    public static final int DROPPED_BACKLOG_FULL = 5;
    public static final int DROPPED_HALF_OPEN_FULL = 6;
    public static final int RESETS_SENT = 7;
    public static final int RESETS_NOT_SENT = 8;
    public static final int CONNECTIONS_OPENED = 9;
    public static final int CONNECTIONS_ACCEPTED = 10;
    public static final int DROPPED_NO_ROOM = 11;
    /** Connections that got their send and receive rings (established, or actively opened). */
    public static final int RINGS_ALLOCATED = 12;
    /** Segments (SYNs, data, resets) that could not go out because no route leads to the peer; not retried. */
    public static final int DROPPED_NO_ROUTE = 13;
    private static final String[] LAYER_NAMES = {
        "segmentsIn", "segmentsOut", "droppedBadChecksum", "droppedMalformed", "droppedNoSocket",
        "droppedBacklogFull", "droppedHalfOpenFull", "resetsSent", "resetsNotSent", "connectionsOpened",
        "connectionsAccepted", "droppedNoRoom", "ringsAllocated", "droppedNoRoute"};

    // Connection counters.
    public static final int CONN_SEGMENTS_IN = 0;
    public static final int CONN_SEGMENTS_OUT = 1;
    public static final int CONN_BYTES_SENT = 2;
    public static final int CONN_BYTES_RECEIVED = 3;
    public static final int CONN_RETRANSMITS = 4;
    public static final int CONN_FAST_RETRANSMITS = 5;
    public static final int CONN_RTO_EXPIRIES = 6;
    public static final int CONN_DUP_ACKS = 7;
    public static final int CONN_SRTT_NANOS = 8;
    public static final int CONN_RTTVAR_NANOS = 9;
    public static final int CONN_CWND = 10;
    public static final int CONN_SSTHRESH = 11;
    public static final int CONN_DROPPED_OUT_OF_WINDOW = 12;
    public static final int CONN_DROPPED_PAWS = 13;
    public static final int CONN_CHALLENGE_ACKS = 14;
    public static final int CONN_ZERO_WINDOW_PROBES = 15;
    public static final int CONN_WINDOW_UPDATES = 16;
    public static final int CONN_OUT_OF_ORDER_SEGMENTS = 17;
    public static final int CONN_SACK_BLOCKS_RECEIVED = 18;
    public static final int CONN_SEND_MSS = 19;
    private static final String[] CONNECTION_NAMES = {
        "segmentsIn", "segmentsOut", "bytesSent", "bytesReceived", "retransmits", "fastRetransmits", "rtoExpiries",
        "dupAcks", "srttNanos", "rttvarNanos", "cwnd", "ssthresh", "droppedOutOfWindow", "droppedPaws",
        "challengeAcks", "zeroWindowProbes", "windowUpdates", "outOfOrderSegments", "sackBlocksReceived", "sendMss"};

    private final long[] values;
    private final String[] names;

    private TcpCounters(String[] names) {
        this.names = names;
        this.values = new long[names.length];
    }

    static TcpCounters forLayer() {
        return new TcpCounters(LAYER_NAMES);
    }

    static TcpCounters forConnection() {
        return new TcpCounters(CONNECTION_NAMES);
    }

    /** Any thread: the latest published value. */
    public long get(int index) {
        return (long) VALUES.getAcquire(values, index);
    }

    public int size() {
        return values.length;
    }

    public String name(int index) {
        return names[index];
    }

    void increment(int index) {
        VALUES.setRelease(values, index, values[index] + 1);
    }

    void add(int index, long delta) {
        VALUES.setRelease(values, index, values[index] + delta);
    }

    void set(int index, long value) {
        VALUES.setRelease(values, index, value);
    }
}
