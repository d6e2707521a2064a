package dev.tapir.engine.test;

import dev.tapir.engine.transport.DatagramOptions;
import dev.tapir.engine.transport.StreamOptions;

/**
 * A test described once; both dialects and both data paths run it. Durations are in nanoseconds.
 *
 * @param protocol TCP or UDP
 * @param length {@code -l}: bytes per write (TCP) or per datagram (UDP)
 * @param bytes {@code -n}: total bytes to send, 0 = use blocks or duration
 * @param blocks {@code -k}: total writes (TCP) or datagrams (UDP), 0 = unset
 * @param durationNanos {@code -t}; ignored when bytes or blocks is set
 * @param intervalNanos {@code -i}; 0 = no interval reports
 * @param rateBitsPerSecond {@code -b}; 0 = unlimited
 * @param streams {@code -P}
 * @param reverse {@code -R}
 * @param bidirectional {@code --bidir}
 * @param streamOptions {@code -w -M -N -C}
 * @param datagramOptions {@code -w}, {@code --no-gso}
 * @param verify {@code --verify}: seeded pattern checked by the receiver
 */
public record TestSpec(
        Protocol protocol,
        int length,
        long bytes,
        long blocks,
        long durationNanos,
        long intervalNanos,
        long rateBitsPerSecond,
        int streams,
        boolean reverse,
        boolean bidirectional,
        StreamOptions streamOptions,
        DatagramOptions datagramOptions,
        boolean verify) {

    /** Most parallel streams a test may open (iperf3 allows 128). */
    public static final int MAX_STREAMS = 128;
    /** Largest write or datagram length: a UDP payload cannot exceed 65507 bytes, a TCP write is capped at 1 GiB. */
    public static final int MAX_UDP_LENGTH = 65_507;
    public static final int MAX_TCP_LENGTH = 1 << 30;

    public TestSpec {
        if (protocol == null) {
            throw new IllegalArgumentException("protocol must be TCP or UDP");
        }
        if (length <= 0) {
            throw new IllegalArgumentException("length (-l) must be positive, got " + length);
        }
        if (protocol == Protocol.UDP && length > MAX_UDP_LENGTH) {
            throw new IllegalArgumentException(
                    "UDP datagram length (-l) must be at most " + MAX_UDP_LENGTH + " bytes, got " + length);
        }
        if (protocol == Protocol.TCP && length > MAX_TCP_LENGTH) {
            throw new IllegalArgumentException(
                    "TCP write length (-l) must be at most " + MAX_TCP_LENGTH + " bytes, got " + length);
        }
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes (-n) must not be negative, got " + bytes);
        }
        if (blocks < 0) {
            throw new IllegalArgumentException("blocks (-k) must not be negative, got " + blocks);
        }
        if (bytes > 0 && blocks > 0) {
            throw new IllegalArgumentException("give either bytes (-n) or blocks (-k), not both");
        }
        if (protocol == Protocol.TCP && blocks > Long.MAX_VALUE / length) {
            throw new IllegalArgumentException("blocks (-k) times length (-l) is too large");
        }
        if (bytes == 0 && blocks == 0 && durationNanos <= 0) {
            throw new IllegalArgumentException("duration (-t) must be positive when neither -n nor -k is given");
        }
        if (durationNanos < 0) {
            throw new IllegalArgumentException("duration (-t) must not be negative");
        }
        if (intervalNanos < 0) {
            throw new IllegalArgumentException("interval (-i) must not be negative");
        }
        if (rateBitsPerSecond < 0) {
            throw new IllegalArgumentException("rate (-b) must not be negative, got " + rateBitsPerSecond);
        }
        if (streams < 1 || streams > MAX_STREAMS) {
            throw new IllegalArgumentException(
                    "parallel streams (-P) must be between 1 and " + MAX_STREAMS + ", got " + streams);
        }
        if (reverse && bidirectional) {
            throw new IllegalArgumentException("give either reverse (-R) or bidirectional (--bidir), not both");
        }
        if (streamOptions == null) {
            streamOptions = StreamOptions.DEFAULT;
        }
        if (datagramOptions == null) {
            datagramOptions = DatagramOptions.DEFAULT;
        }
        if (streamOptions.windowBytes() < 0) {
            throw new IllegalArgumentException("window (-w) must not be negative");
        }
        if (streamOptions.mss() < 0) {
            throw new IllegalArgumentException("MSS (-M) must not be negative");
        }
        if (datagramOptions.bufferBytes() < 0) {
            throw new IllegalArgumentException("window (-w) must not be negative");
        }
    }

    /** Byte count at which a sender stops, or 0 when it runs by time: {@code -n}, or {@code -k} × {@code -l} for TCP. */
    public long byteLimit() {
        if (bytes > 0) {
            return bytes;
        }
        return protocol == Protocol.TCP ? blocks * length : 0;
    }

    /** Datagram count at which a UDP sender stops, or 0 when it runs by time: {@code -k}, or {@code -n} rounded up to whole datagrams. */
    public long datagramLimit() {
        if (blocks > 0) {
            return blocks;
        }
        return bytes > 0 ? (bytes + length - 1) / length : 0;
    }

    /** True when the sender stops at {@link #durationNanos()} rather than at a byte or block count. */
    public boolean timed() {
        return bytes == 0 && blocks == 0;
    }

    /** This test with another write or datagram length. */
    public TestSpec withLength(int newLength) {
        return new TestSpec(protocol, newLength, bytes, blocks, durationNanos, intervalNanos, rateBitsPerSecond,
                streams, reverse, bidirectional, streamOptions, datagramOptions, verify);
    }

    /** This test with another duration. */
    public TestSpec withDuration(long nanos) {
        return new TestSpec(protocol, length, bytes, blocks, nanos, intervalNanos, rateBitsPerSecond, streams, reverse,
                bidirectional, streamOptions, datagramOptions, verify);
    }
}
