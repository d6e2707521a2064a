package dev.tapir.engine.iperf2;

import dev.tapir.engine.test.DatagramHeaderCodec;
import java.lang.foreign.MemorySegment;

/**
 * iperf 2's per-datagram header. Writes the 2.1.8 form (64-bit sequence number split over id and id2, epoch send
 * time); the static rest of the header (the {@link ClientHeader} at offset 16) is the sender's buffer prefix, see
 * {@link #udpPrefix}. Reads every variant a 2.x sender produces: the 2.1.x header with
 * {@link ClientHeader#HEADER_SEQNO64B}, and the 12-byte id/sec/usec header of 2.0.x senders, whose id is signed 32-bit.
 *
 * <p>Garbage, counted and dropped by the receiver: datagrams shorter than 12 bytes, and sequence number 0 (iperf
 * numbers datagrams from 1 and the FIN is negative). One instance per thread (it holds a flyweight).
 */
public final class Iperf2DatagramCodec implements DatagramHeaderCodec {
    /** Bytes before the payload pattern in a 2.1.8 datagram: datagram header, client header, then zeros. */
    public static final int UDP_PREFIX_LENGTH = 160;
    /**
     * Smallest datagram: the per-datagram header. Like 2.1.8 ({@code iperf -u -l 16} works), shorter datagrams carry
     * the client header cut to fit, and 2.1.8 servers take them.
     */
    public static final int MINIMUM_LENGTH = UdpDatagramHeader.LENGTH;

    private static final int FLAGS_OFFSET = UdpDatagramHeader.LENGTH + ClientHeader.FLAGS_OFFSET;
    private static final int UPPER_FLAGS_OFFSET = UdpDatagramHeader.LENGTH + ClientHeader.UPPER_FLAGS_OFFSET;

    private final UdpDatagramHeader header = new UdpDatagramHeader();

    /**
     * The 160 bytes every 2.1.8 datagram starts with, less the per-datagram id/sec/usec/id2 (zero here): flags
     * {@link ClientHeader#UDP_FLAGS}, one thread, the server's port, the datagram length, the amount and the rate.
     */
    public static void udpPrefix(MemorySegment dst, int serverPort, int datagramLength, int amount, long rate) {
        dst.asSlice(0, UDP_PREFIX_LENGTH).fill((byte) 0);
        new ClientHeader().wrap(dst, UdpDatagramHeader.LENGTH).writeAs218(ClientHeader.UDP_FLAGS, serverPort,
                datagramLength, amount, (int) Math.min(rate, 0xFFFF_FFFFL));
    }

    /**
     * Whether a datagram's client header asks for trip times ({@code --trip-times}: HEADER_EXTEND, then
     * HEADER_TRIPTIME in the upper flags). A 2.1.8 server then answers with the extended report, whose transit
     * figures the client prints as latency.
     */
    public static boolean asksTripTimes(MemorySegment src, long offset, int length) {
        return length >= UPPER_FLAGS_OFFSET + 2
                && (src.get(Wire.INT, offset + FLAGS_OFFSET) & ClientHeader.HEADER_EXTEND) != 0
                && (src.get(Wire.SHORT, offset + UPPER_FLAGS_OFFSET) & ClientHeader.HEADER_TRIPTIME) != 0;
    }

    @Override
    public int minimumLength() {
        return MINIMUM_LENGTH;
    }

    @Override
    public void write(MemorySegment dst, long offset, long sequence, long epochMicros) {
        header.wrap(dst, offset).sequence64(sequence).sentMicros(epochMicros);
    }

    @Override
    public long sequence(MemorySegment src, long offset, int length) {
        if (length < UdpDatagramHeader.OLD_LENGTH) {
            return INVALID;
        }
        header.wrap(src, offset);
        boolean wide = length >= FLAGS_OFFSET + 4
                && (src.get(Wire.INT, offset + FLAGS_OFFSET) & ClientHeader.HEADER_SEQNO64B) != 0;
        long sequence = wide ? header.sequence64() : header.sequence32();
        return sequence == 0 ? INVALID : sequence;
    }

    @Override
    public long sentMicros(MemorySegment src, long offset, int length) {
        return header.wrap(src, offset).sentMicros();
    }
}
