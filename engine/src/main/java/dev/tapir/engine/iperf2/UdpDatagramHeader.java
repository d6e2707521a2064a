package dev.tapir.engine.iperf2;

import java.lang.foreign.MemorySegment;

/**
 * Flyweight over iperf 2's {@code UDP_datagram}, the first 16 bytes of every UDP payload: sequence number low 32 bits,
 * send time (epoch seconds and microseconds), sequence number high 32 bits. Senders of the 2.0.x era wrote only the
 * first 12 bytes and a signed 32-bit id; the high word counts only when the datagram's client header carries
 * {@link ClientHeader#HEADER_SEQNO64B}. A negative sequence number marks the end of the test (the FIN).
 */
public final class UdpDatagramHeader {
    public static final int ID_OFFSET = 0;
    public static final int SEC_OFFSET = 4;
    public static final int USEC_OFFSET = 8;
    public static final int ID2_OFFSET = 12;
    /** Length of the header 2.0.x senders wrote: id, sec, usec. */
    public static final int OLD_LENGTH = 12;
    public static final int LENGTH = 16;

    private MemorySegment segment;
    private long offset;

    public UdpDatagramHeader wrap(MemorySegment segment, long offset) {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    public int id() {
        return segment.get(Wire.INT, offset + ID_OFFSET);
    }

    public UdpDatagramHeader id(int id) {
        segment.set(Wire.INT, offset + ID_OFFSET, id);
        return this;
    }

    public int sec() {
        return segment.get(Wire.INT, offset + SEC_OFFSET);
    }

    public UdpDatagramHeader sec(int sec) {
        segment.set(Wire.INT, offset + SEC_OFFSET, sec);
        return this;
    }

    public int usec() {
        return segment.get(Wire.INT, offset + USEC_OFFSET);
    }

    public UdpDatagramHeader usec(int usec) {
        segment.set(Wire.INT, offset + USEC_OFFSET, usec);
        return this;
    }

    public int id2() {
        return segment.get(Wire.INT, offset + ID2_OFFSET);
    }

    public UdpDatagramHeader id2(int id2) {
        segment.set(Wire.INT, offset + ID2_OFFSET, id2);
        return this;
    }

    /** The 64-bit sequence number id2:id (2.1.x senders that set {@link ClientHeader#HEADER_SEQNO64B}). */
    public long sequence64() {
        return ((long) id2() << 32) | (id() & 0xFFFF_FFFFL);
    }

    /** The 32-bit sequence number read as signed, as 2.1.8 does for datagrams without the 64-bit flag. */
    public long sequence32() {
        return id();
    }

    /** Writes a 64-bit sequence number into id (low word) and id2 (high word). */
    public UdpDatagramHeader sequence64(long sequence) {
        id((int) sequence);
        return id2((int) (sequence >>> 32));
    }

    /** Send time in epoch microseconds; sec is read as unsigned (it wraps in 2106, not 2038). */
    public long sentMicros() {
        return (sec() & 0xFFFF_FFFFL) * 1_000_000L + usec();
    }

    public UdpDatagramHeader sentMicros(long epochMicros) {
        sec((int) (epochMicros / 1_000_000L));
        return usec((int) (epochMicros % 1_000_000L));
    }
}
