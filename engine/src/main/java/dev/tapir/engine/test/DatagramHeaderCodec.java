package dev.tapir.engine.test;

import java.lang.foreign.MemorySegment;

/**
 * Encodes and decodes the per-datagram header of one dialect (iperf3: sec, usec, 32/64-bit counter; iperf2: id, sec,
 * usec, id2 and its extensions). Implementations are stateless flyweight code: no allocation in any method.
 */
public interface DatagramHeaderCodec {
    /** Returned by {@link #sequence} for a datagram too short or otherwise not of this dialect. */
    long INVALID = Long.MIN_VALUE;

    /** The smallest datagram this codec can write. */
    int minimumLength();

    /** Writes the header for datagram number {@code sequence} (1-based) sent at {@code epochMicros} into dst[offset..]. */
    void write(MemorySegment dst, long offset, long sequence, long epochMicros);

    /**
     * Sequence number of a received datagram, or {@link #INVALID} when it is too short or garbage. Negative means the
     * end-of-test marker (iperf2's FIN), whose absolute value is its sequence number.
     */
    long sequence(MemorySegment src, long offset, int length);

    /** Sender timestamp in microseconds (epoch for iperf2, the sender's clock for iperf3) of a received datagram. */
    long sentMicros(MemorySegment src, long offset, int length);
}
