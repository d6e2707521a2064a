package dev.tapir.engine.iperf2;

import java.lang.foreign.MemorySegment;

/**
 * Flyweight over the iperf 2 client header: {@code client_hdr_v1} (24 bytes: flags, numThreads, port, bufLen,
 * winBand, amount) followed by {@code client_hdrext} (36 bytes: type, length, upper/lower flags, version, tos, rate,
 * write prefetch). A TCP client sends it as the first 60 bytes of the stream; a UDP client carries it in every
 * datagram right after the {@link UdpDatagramHeader}.
 */
public final class ClientHeader {
    /**
     * The v1 fields are present; set by a client that asks the server to connect back and test the other direction
     * too ({@code -r}, or {@code -d} with {@link #RUN_NOW}: 0xc0010078 and 0xc0010079 from 2.1.8 on the wire).
     */
    public static final int HEADER_VERSION1 = 0x8000_0000;
    /** With {@link #HEADER_VERSION1}: both directions at once ({@code -d}) rather than one after the other. */
    public static final int RUN_NOW = 0x0000_0001;
    /** 2.1.x: the client_hdrext fields follow. */
    public static final int HEADER_EXTEND = 0x4000_0000;
    public static final int HEADER_UDPTESTS = 0x2000_0000;
    /** The UDP sequence number is 64 bits wide (id2:id). */
    public static final int HEADER_SEQNO64B = 0x0800_0000;
    /** The low bits (mask {@link #HEADER_LEN_MASK}) carry the header length. */
    public static final int HEADER_LEN_BIT = 0x0001_0000;
    public static final int HEADER_LEN_MASK = 0x0000_01FE;
    /** In the upper flags (with {@link #HEADER_EXTEND}): the client asks for trip times ({@code --trip-times}). */
    public static final short HEADER_TRIPTIME = 0x0010;

    public static final int FLAGS_OFFSET = 0;
    public static final int NUM_THREADS_OFFSET = 4;
    public static final int PORT_OFFSET = 8;
    public static final int BUF_LEN_OFFSET = 12;
    public static final int WIN_BAND_OFFSET = 16;
    public static final int AMOUNT_OFFSET = 20;
    /** End of client_hdr_v1. */
    public static final int V1_LENGTH = 24;
    public static final int TYPE_OFFSET = 24;
    public static final int EXT_LENGTH_OFFSET = 28;
    public static final int UPPER_FLAGS_OFFSET = 32;
    public static final int LOWER_FLAGS_OFFSET = 34;
    public static final int VERSION_UPPER_OFFSET = 36;
    public static final int VERSION_LOWER_OFFSET = 40;
    public static final int RESERVED_OFFSET = 44;
    public static final int TOS_OFFSET = 46;
    public static final int RATE_LOWER_OFFSET = 48;
    public static final int RATE_UPPER_OFFSET = 52;
    public static final int WRITE_PREFETCH_OFFSET = 56;
    /** client_hdr_v1 + client_hdrext. */
    public static final int LENGTH = 60;

    /** Flags 2.1.8 puts in a TCP header: extended, with a length field of 0x78. */
    public static final int TCP_FLAGS = HEADER_EXTEND | HEADER_LEN_BIT | 0x78;
    /** Flags 2.1.8 puts in every UDP datagram: extended, 64-bit sequence numbers, length field 0x98. */
    public static final int UDP_FLAGS = HEADER_EXTEND | HEADER_SEQNO64B | HEADER_LEN_BIT | 0x98;

    private MemorySegment segment;
    private long offset;

    public ClientHeader wrap(MemorySegment segment, long offset) {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    private int getInt(int field) {
        return segment.get(Wire.INT, offset + field);
    }

    private ClientHeader setInt(int field, int value) {
        segment.set(Wire.INT, offset + field, value);
        return this;
    }

    public int flags() {
        return getInt(FLAGS_OFFSET);
    }

    public ClientHeader flags(int flags) {
        return setInt(FLAGS_OFFSET, flags);
    }

    public int numThreads() {
        return getInt(NUM_THREADS_OFFSET);
    }

    public ClientHeader numThreads(int numThreads) {
        return setInt(NUM_THREADS_OFFSET, numThreads);
    }

    public int port() {
        return getInt(PORT_OFFSET);
    }

    public ClientHeader port(int port) {
        return setInt(PORT_OFFSET, port);
    }

    public int bufLen() {
        return getInt(BUF_LEN_OFFSET);
    }

    public ClientHeader bufLen(int bufLen) {
        return setInt(BUF_LEN_OFFSET, bufLen);
    }

    public int winBand() {
        return getInt(WIN_BAND_OFFSET);
    }

    public ClientHeader winBand(int winBand) {
        return setInt(WIN_BAND_OFFSET, winBand);
    }

    /** Bytes to send when positive; when negative, the test duration in 10 ms units. */
    public int amount() {
        return getInt(AMOUNT_OFFSET);
    }

    public ClientHeader amount(int amount) {
        return setInt(AMOUNT_OFFSET, amount);
    }

    public int type() {
        return getInt(TYPE_OFFSET);
    }

    public int extLength() {
        return getInt(EXT_LENGTH_OFFSET);
    }

    public short upperFlags() {
        return segment.get(Wire.SHORT, offset + UPPER_FLAGS_OFFSET);
    }

    public short lowerFlags() {
        return segment.get(Wire.SHORT, offset + LOWER_FLAGS_OFFSET);
    }

    public int versionUpper() {
        return getInt(VERSION_UPPER_OFFSET);
    }

    public int versionLower() {
        return getInt(VERSION_LOWER_OFFSET);
    }

    public ClientHeader version(int upper, int lower) {
        setInt(VERSION_UPPER_OFFSET, upper);
        return setInt(VERSION_LOWER_OFFSET, lower);
    }

    public short tos() {
        return segment.get(Wire.SHORT, offset + TOS_OFFSET);
    }

    /** Low 32 bits of the rate in bit/s (UDP {@code -b}). */
    public int rateLower() {
        return getInt(RATE_LOWER_OFFSET);
    }

    public ClientHeader rateLower(int rate) {
        return setInt(RATE_LOWER_OFFSET, rate);
    }

    public int rateUpper() {
        return getInt(RATE_UPPER_OFFSET);
    }

    /** Zeroes the whole 60-byte header. */
    public ClientHeader clear() {
        segment.asSlice(offset, LENGTH).fill((byte) 0);
        return this;
    }

    /**
     * Writes the header as 2.1.8 does: {@code flags}, one thread, the server port, {@code bufLen}, {@code amount},
     * version 2.1.8 final, {@code rate} in the lower rate word, everything else zero.
     */
    public ClientHeader writeAs218(int flags, int port, int bufLen, int amount, int rate) {
        return clear().flags(flags).numThreads(1).port(port).bufLen(bufLen).amount(amount)
                .version(Wire.VERSION_UPPER, Wire.VERSION_LOWER).rateLower(rate);
    }

    /**
     * True when {@code flags} looks like the first word of a client header rather than test data, the test iperf 2's
     * listener makes: a header sets {@link #HEADER_VERSION1} or {@link #HEADER_EXTEND}, while zero fill and the
     * payload pattern ('0'..'9' = 0x30..0x39 in the top byte) set neither.
     */
    public static boolean plausibleFlags(int flags) {
        return (flags & (HEADER_VERSION1 | HEADER_EXTEND)) != 0;
    }

    /** The amount field for a timed test: duration in 10 ms units, negated. */
    public static int amountForDuration(long durationNanos) {
        long units = Math.max(1, durationNanos / 10_000_000L);
        return (int) -Math.min(units, Integer.MAX_VALUE);
    }

    /** The amount field for a byte-count test (saturating at the 31-bit maximum 2.1.8 can carry). */
    public static int amountForBytes(long bytes) {
        return (int) Math.min(bytes, Integer.MAX_VALUE);
    }
}
