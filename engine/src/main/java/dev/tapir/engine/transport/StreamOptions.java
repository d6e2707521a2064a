package dev.tapir.engine.transport;

/**
 * Per-connection settings a test may ask for.
 *
 * @param windowBytes socket buffer size ({@code -w}), 0 for the transport's default
 * @param mss maximum segment size ({@code -M}), 0 for the default
 * @param noDelay disable Nagle ({@code -N})
 * @param congestion congestion control algorithm name ({@code -C}), null for the default
 */
public record StreamOptions(int windowBytes, int mss, boolean noDelay, String congestion) {
    public static final StreamOptions DEFAULT = new StreamOptions(0, 0, false, null);
}
