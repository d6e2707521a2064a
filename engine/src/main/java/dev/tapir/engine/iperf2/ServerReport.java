package dev.tapir.engine.iperf2;

import java.lang.foreign.MemorySegment;

/**
 * Flyweight over the 128-byte datagram an iperf 2 UDP server answers a FIN with: a zeroed {@link UdpDatagramHeader}
 * (16 bytes) followed by {@code server_hdr}: the v1 fields (flags, total length, stop time, errors, out of order,
 * datagrams, jitter), the transit extension and the high words of the 64-bit counters. Offsets are from the start of
 * the UDP payload.
 *
 * <p>Times travel as pairs of int32: whole seconds, then microseconds. The transit M2 pair holds microseconds squared
 * (2.1.8 scales seconds squared by 1e12 before splitting), so it is whole units and millionths of a unit.
 */
public final class ServerReport {
    /** Flags a 2.1.8 server without {@code -e} sends: HEADER_VERSION1 | HEADER_SEQNO64B. */
    public static final int FLAGS = ClientHeader.HEADER_VERSION1 | ClientHeader.HEADER_SEQNO64B;
    /** Set by a server in enhanced mode: the transit fields are meaningful to the client. */
    public static final int SERVER_HEADER_EXTEND = 0x4000_0000;

    public static final int FLAGS_OFFSET = 16;
    public static final int TOTAL_LEN1_OFFSET = 20;
    public static final int TOTAL_LEN2_OFFSET = 24;
    public static final int STOP_SEC_OFFSET = 28;
    public static final int STOP_USEC_OFFSET = 32;
    public static final int ERROR_CNT_OFFSET = 36;
    public static final int OUTORDER_CNT_OFFSET = 40;
    public static final int DATAGRAMS_OFFSET = 44;
    public static final int JITTER1_OFFSET = 48;
    public static final int JITTER2_OFFSET = 52;
    public static final int MIN_TRANSIT1_OFFSET = 56;
    public static final int MAX_TRANSIT1_OFFSET = 64;
    public static final int SUM_TRANSIT1_OFFSET = 72;
    public static final int MEAN_TRANSIT1_OFFSET = 80;
    public static final int M2_TRANSIT1_OFFSET = 88;
    public static final int VD_TRANSIT1_OFFSET = 96;
    public static final int CNT_TRANSIT_OFFSET = 104;
    public static final int CNT_IPG_OFFSET = 108;
    public static final int IPG_SUM_OFFSET = 112;
    public static final int ERROR_CNT2_OFFSET = 116;
    public static final int OUTORDER_CNT2_OFFSET = 120;
    public static final int DATAGRAMS2_OFFSET = 124;
    public static final int LENGTH = 128;

    private MemorySegment segment;
    private long offset;

    public ServerReport wrap(MemorySegment segment, long offset) {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    private int getInt(int field) {
        return segment.get(Wire.INT, offset + field);
    }

    private ServerReport setInt(int field, int value) {
        segment.set(Wire.INT, offset + field, value);
        return this;
    }

    private long unsigned(int field) {
        return getInt(field) & 0xFFFF_FFFFL;
    }

    /** A 64-bit counter split as 2.1.8 splits it; the high word only counts when the flags say 64-bit. */
    private long counter(int lowField, int highField) {
        long low = unsigned(lowField);
        return (flags() & ClientHeader.HEADER_SEQNO64B) != 0 ? ((long) getInt(highField) << 32) | low : low;
    }

    private ServerReport counter(int lowField, int highField, long value) {
        setInt(lowField, (int) value);
        return setInt(highField, (int) (value >>> 32));
    }

    /** A seconds + microseconds pair, as microseconds. */
    private long pairMicros(int field) {
        return getInt(field) * 1_000_000L + getInt(field + 4);
    }

    private ServerReport pairMicros(int field, long micros) {
        setInt(field, (int) (micros / 1_000_000L));
        return setInt(field + 4, (int) (micros % 1_000_000L));
    }

    /** Zeroes all 128 bytes (the leading datagram header stays zero in a report). */
    public ServerReport clear() {
        segment.asSlice(offset, LENGTH).fill((byte) 0);
        return this;
    }

    public int flags() {
        return getInt(FLAGS_OFFSET);
    }

    public ServerReport flags(int flags) {
        return setInt(FLAGS_OFFSET, flags);
    }

    /** True when the bytes look like a server report (a client also sees stray CLIENTHDRACKs on the socket). */
    public boolean isReport() {
        return (flags() & ClientHeader.HEADER_VERSION1) != 0;
    }

    /** Bytes the server received, the FIN included. */
    public long totalLength() {
        return ((long) getInt(TOTAL_LEN1_OFFSET) << 32) | unsigned(TOTAL_LEN2_OFFSET);
    }

    public ServerReport totalLength(long bytes) {
        setInt(TOTAL_LEN1_OFFSET, (int) (bytes >>> 32));
        return setInt(TOTAL_LEN2_OFFSET, (int) bytes);
    }

    /** Time from the first datagram to the FIN at the server. */
    public long stopMicros() {
        return pairMicros(STOP_SEC_OFFSET);
    }

    public ServerReport stopMicros(long micros) {
        return pairMicros(STOP_SEC_OFFSET, micros);
    }

    /** Datagrams lost. */
    public long errorCount() {
        return counter(ERROR_CNT_OFFSET, ERROR_CNT2_OFFSET);
    }

    public ServerReport errorCount(long lost) {
        return counter(ERROR_CNT_OFFSET, ERROR_CNT2_OFFSET, lost);
    }

    public long outOfOrderCount() {
        return counter(OUTORDER_CNT_OFFSET, OUTORDER_CNT2_OFFSET);
    }

    public ServerReport outOfOrderCount(long outOfOrder) {
        return counter(OUTORDER_CNT_OFFSET, OUTORDER_CNT2_OFFSET, outOfOrder);
    }

    /** Datagrams the test consisted of (the FIN included), the denominator of loss. */
    public long datagrams() {
        return counter(DATAGRAMS_OFFSET, DATAGRAMS2_OFFSET);
    }

    public ServerReport datagrams(long datagrams) {
        return counter(DATAGRAMS_OFFSET, DATAGRAMS2_OFFSET, datagrams);
    }

    public long jitterMicros() {
        return pairMicros(JITTER1_OFFSET);
    }

    public ServerReport jitterMicros(long micros) {
        return pairMicros(JITTER1_OFFSET, micros);
    }

    public long minTransitMicros() {
        return pairMicros(MIN_TRANSIT1_OFFSET);
    }

    public ServerReport minTransitMicros(long micros) {
        return pairMicros(MIN_TRANSIT1_OFFSET, micros);
    }

    public long maxTransitMicros() {
        return pairMicros(MAX_TRANSIT1_OFFSET);
    }

    public ServerReport maxTransitMicros(long micros) {
        return pairMicros(MAX_TRANSIT1_OFFSET, micros);
    }

    public long sumTransitMicros() {
        return pairMicros(SUM_TRANSIT1_OFFSET);
    }

    public ServerReport sumTransitMicros(long micros) {
        return pairMicros(SUM_TRANSIT1_OFFSET, micros);
    }

    public long meanTransitMicros() {
        return pairMicros(MEAN_TRANSIT1_OFFSET);
    }

    public ServerReport meanTransitMicros(long micros) {
        return pairMicros(MEAN_TRANSIT1_OFFSET, micros);
    }

    /** Sum of squared deviations of transit, microseconds squared. */
    public double m2TransitMicros2() {
        return getInt(M2_TRANSIT1_OFFSET) + getInt(M2_TRANSIT1_OFFSET + 4) / 1e6;
    }

    public ServerReport m2TransitMicros2(double m2) {
        long whole = (long) m2;
        long millionths = Math.round((m2 - whole) * 1e6);
        if (millionths == 1_000_000L) {
            whole++;
            millionths = 0;
        }
        setInt(M2_TRANSIT1_OFFSET, (int) whole);
        return setInt(M2_TRANSIT1_OFFSET + 4, (int) millionths);
    }

    /** The last transit's deviation from the running mean before it was folded in. */
    public long vdTransitMicros() {
        return pairMicros(VD_TRANSIT1_OFFSET);
    }

    public ServerReport vdTransitMicros(long micros) {
        return pairMicros(VD_TRANSIT1_OFFSET, micros);
    }

    public int cntTransit() {
        return getInt(CNT_TRANSIT_OFFSET);
    }

    public ServerReport cntTransit(int count) {
        return setInt(CNT_TRANSIT_OFFSET, count);
    }

    /** 2.1.8 sends datagrams per second of the test here. */
    public int cntIpg() {
        return getInt(CNT_IPG_OFFSET);
    }

    public ServerReport cntIpg(int count) {
        return setInt(CNT_IPG_OFFSET, count);
    }

    /** 2.1.8 always sends 1 here. */
    public int ipgSum() {
        return getInt(IPG_SUM_OFFSET);
    }

    public ServerReport ipgSum(int sum) {
        return setInt(IPG_SUM_OFFSET, sum);
    }
}
