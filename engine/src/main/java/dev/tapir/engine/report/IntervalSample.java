package dev.tapir.engine.report;

import java.util.List;

/**
 * What one stream (or the sum of all streams) did over one reporting interval. Times are seconds since the test's
 * start. Fields that do not apply are -1 (TCP figures on UDP, unknown TCP state) or 0.
 *
 * @param id the stream's id (iperf3 prints the socket number), or 0 for a sum
 * @param sender true when this side sent the data
 * @param packets datagrams in the interval (sender: sent; receiver: sequence numbers advanced, as iperf3 counts)
 * @param retransmits TCP segments retransmitted in the interval, -1 when unknown
 * @param sndCwnd congestion window at the interval's end, bytes (-1 unknown)
 * @param sndWnd peer's receive window at the interval's end, bytes (-1 unknown)
 * @param rttMicros smoothed RTT at the interval's end (-1 unknown)
 * @param rttVarMicros RTT variance at the interval's end (-1 unknown)
 * @param pmtu path MTU (-1 unknown)
 * @param jitterMillis UDP receiver's jitter at the interval's end
 * @param lostPackets UDP datagrams lost in the interval
 * @param outOfOrder UDP datagrams that arrived out of order in the interval
 */
public record IntervalSample(
        int id,
        boolean sender,
        double start,
        double end,
        long bytes,
        long packets,
        long retransmits,
        long sndCwnd,
        long sndWnd,
        long rttMicros,
        long rttVarMicros,
        long pmtu,
        double jitterMillis,
        long lostPackets,
        long outOfOrder,
        boolean omitted) {

    public double seconds() {
        return end - start;
    }

    public double bitsPerSecond() {
        double seconds = seconds();
        return seconds > 0 ? bytes * 8 / seconds : 0;
    }

    /** Lost datagrams as a percentage of {@link #packets()}, 0 when none. */
    public double lostPercent() {
        return packets > 0 ? 100.0 * lostPackets / packets : 0;
    }

    /**
     * The sum of some streams' samples of one interval, all in one direction (at least one): bytes, datagrams,
     * retransmits (-1 if any is unknown) and losses add up, jitter is their mean, window and RTT figures unknown.
     */
    public static IntervalSample sumOf(List<IntervalSample> samples) {
        IntervalSample first = samples.get(0);
        long bytes = 0;
        long packets = 0;
        long retransmits = 0;
        double jitter = 0;
        long lost = 0;
        long outOfOrder = 0;
        for (IntervalSample s : samples) {
            bytes += s.bytes();
            packets += s.packets();
            retransmits = retransmits < 0 || s.retransmits() < 0 ? -1 : retransmits + s.retransmits();
            jitter += s.jitterMillis();
            lost += s.lostPackets();
            outOfOrder += s.outOfOrder();
        }
        return new IntervalSample(0, first.sender(), first.start(), first.end(), bytes, packets, retransmits, -1, -1,
                -1, -1, -1, jitter / samples.size(), lost, outOfOrder, first.omitted());
    }
}
