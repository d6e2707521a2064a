package dev.tapir.engine.report;

import dev.tapir.engine.test.Protocol;
import java.util.List;

/**
 * Everything a renderer prints about one test, as seen from one end.
 *
 * @param start the set-up figures
 * @param intervals the interval reports in order (may be empty)
 * @param streams final figures per stream
 * @param localSender true when this end sent the data (client normally, server with -R)
 * @param cpu CPU use, or {@link CpuUtilization#NONE}
 * @param senderCongestion the sender's congestion control, or null
 * @param receiverCongestion the receiver's congestion control, or null
 * @param verification what {@code --verify} found, or null when the test did not verify
 */
public record TestResult(
        TestStart start,
        List<Interval> intervals,
        List<StreamResult> streams,
        boolean localSender,
        CpuUtilization cpu,
        String senderCongestion,
        String receiverCongestion,
        Verification verification) {

    public TestResult {
        intervals = List.copyOf(intervals);
        streams = List.copyOf(streams);
    }

    /** A test without {@code --verify}. */
    public TestResult(TestStart start, List<Interval> intervals, List<StreamResult> streams, boolean localSender,
            CpuUtilization cpu, String senderCongestion, String receiverCongestion) {
        this(start, intervals, streams, localSender, cpu, senderCongestion, receiverCongestion, null);
    }

    public Protocol protocol() {
        return start.protocol();
    }

    /** All streams' sent figures summed; start is the earliest start, end the latest end. */
    public Transfer sumSent() {
        return sum(true);
    }

    /** All streams' received figures summed. */
    public Transfer sumReceived() {
        return sum(false);
    }

    private Transfer sum(boolean sent) {
        double start = Double.MAX_VALUE;
        double end = 0;
        double seconds = 0;
        long bytes = 0;
        for (StreamResult s : streams) {
            Transfer t = sent ? s.sent() : s.received();
            start = Math.min(start, t.start());
            end = Math.max(end, t.end());
            seconds = Math.max(seconds, t.seconds());
            bytes += t.bytes();
        }
        return streams.isEmpty() ? Transfer.NONE : new Transfer(start, end, seconds, bytes);
    }

    /** Whether streams ran both ways ({@code --bidir}): this side sent some and received others. */
    public boolean bidirectional() {
        return streams.stream().anyMatch(StreamResult::sentHere) && streams.stream().anyMatch(s -> !s.sentHere());
    }

    /**
     * This result with only the streams of one direction, for their sums: those the client sends
     * ({@code clientSends}), or those the server sends.
     */
    public TestResult direction(boolean clientSends) {
        boolean sentHere = clientSends == start.client();
        return new TestResult(start, intervals, streams.stream().filter(s -> s.sentHere() == sentHere).toList(),
                localSender, cpu, senderCongestion, receiverCongestion, verification);
    }

    /** Retransmits of all streams, or -1 when unknown for any. */
    public long sumRetransmits() {
        long total = 0;
        for (StreamResult s : streams) {
            if (s.tcp().retransmits() < 0) {
                return -1;
            }
            total += s.tcp().retransmits();
        }
        return total;
    }

    /** Datagrams sent by all streams. */
    public long sumSentPackets() {
        long total = 0;
        for (StreamResult s : streams) {
            total += s.sentPackets();
        }
        return total;
    }

    /** UDP receive figures of all streams: jitter averaged (as iperf3 does), counts summed; null for TCP. */
    public UdpFigures sumUdp() {
        if (streams.isEmpty() || streams.get(0).udp() == null) {
            return null;
        }
        double jitter = 0;
        long lost = 0;
        long packets = 0;
        long outOfOrder = 0;
        for (StreamResult s : streams) {
            jitter += s.udp().jitterMillis();
            lost += s.udp().lostPackets();
            packets += s.udp().packets();
            outOfOrder += s.udp().outOfOrder();
        }
        return new UdpFigures(jitter / streams.size(), lost, packets, outOfOrder);
    }
}
