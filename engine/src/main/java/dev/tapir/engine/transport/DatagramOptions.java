package dev.tapir.engine.transport;

/**
 * Per-endpoint datagram settings.
 *
 * @param bufferBytes socket buffer size ({@code -w}), 0 for the transport's default
 * @param segmentationOffload batch sends into one large send the lower layer splits (UDP GSO) and accept coalesced
 *     receives (UDP GRO) where the transport has them; false forces one datagram per packet end to end
 */
public record DatagramOptions(int bufferBytes, boolean segmentationOffload) {
    public static final DatagramOptions DEFAULT = new DatagramOptions(0, true);
}
