package dev.tapir.engine.report;

/**
 * What one side of one stream moved over the whole test. Times are seconds since the test's start.
 *
 * @param seconds the duration iperf3 reports; usually end − start, but iperf3 3.12 reports a TCP receiver's stream
 *     with the sender's duration, so a dialect may set it apart
 */
public record Transfer(double start, double end, double seconds, long bytes) {
    public static final Transfer NONE = new Transfer(0, 0, 0, 0);

    public static Transfer of(double start, double end, long bytes) {
        return new Transfer(start, end, end - start, bytes);
    }

    public double bitsPerSecond() {
        return seconds > 0 ? bytes * 8 / seconds : 0;
    }
}
