package dev.tapir.engine.stack.tcp;

import static dev.tapir.engine.stack.tcp.TwoLayerNetwork.ADDRESS_A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * TCP over a link with TSO (A's output cuts super-frames into segments, like the kernel behind a tap): the sender
 * emits super-frames of whole MSS, the receiver sees ordinary segments with valid checksums, and loss recovery treats
 * a super-frame as the segments it became.
 */
class TcpSegmentationOffloadTest {
    private static final long SECOND = 1_000_000_000L;

    private static TwoLayerNetwork network(TcpConfig config) {
        TwoLayerNetwork net = new TwoLayerNetwork(config);
        net.delayNanos = 200_000L;
        net.outA.segmentation = true;
        return net;
    }

    /** Payload bytes of A's segments on the wire (after segmentation), retransmissions included. */
    private static long payloadSentByA(TwoLayerNetwork net) {
        long sum = 0;
        for (TcpSegment s : net.sentBy(ADDRESS_A)) {
            sum += s.payloadLength();
        }
        return sum;
    }

    @Test
    void superFramesCarryTheStreamAndEverySegmentChecksumIsValid() {
        TcpConfig config = new TcpConfig().mslNanos(SECOND);
        TwoLayerNetwork net = network(config);
        net.capture = false;
        TcpSocket[] pair = net.connect(5001, config, config);
        int mss = pair[0].sendMss();
        assertEquals(1448, mss);
        long bytes = 16L << 20;
        TcpConnectionTest.assertTransfer(net, pair[0], pair[1], bytes);
        assertTrue(net.outA.superFrames > 0, "no super-frame sent");
        // Far fewer frames than segments: most frames carry many MSS.
        assertTrue(net.outA.sent < bytes / mss / 8, net.outA.sent + " frames for " + bytes / mss + " segments");
        assertEquals(0, net.b.counters().get(TcpCounters.DROPPED_BAD_CHECKSUM), "partial checksums completed right");
        assertEquals(0, pair[0].counters().get(TcpCounters.CONN_RETRANSMITS));
    }

    @Test
    void oneSegmentLostFromASuperFrameIsTheOnlyDataResent() {
        TcpConfig config = new TcpConfig().mslNanos(SECOND);
        TwoLayerNetwork net = network(config);
        TcpSocket[] pair = net.connect(5001, config, config);
        int mss = pair[0].sendMss();
        // Drop the 500th data segment A puts on the wire, once: a segment from the middle of some super-frame.
        int[] dataSegments = {0};
        int[] lostSeq = {0};
        net.filter = (source, segment, index) -> {
            if (source == ADDRESS_A && segment.payloadLength() > 0 && ++dataSegments[0] == 500) {
                lostSeq[0] = segment.sequenceNumber();
                return TwoLayerNetwork.Filter.DROP;
            }
            return TwoLayerNetwork.Filter.PASS;
        };
        long bytes = 4L << 20;
        TcpConnectionTest.assertTransfer(net, pair[0], pair[1], bytes);
        assertTrue(net.outA.superFrames > 0);
        TcpCounters c = pair[0].counters();
        assertEquals(1, c.get(TcpCounters.CONN_FAST_RETRANSMITS), "recovered by SACK, no timeout");
        assertEquals(0, c.get(TcpCounters.CONN_RTO_EXPIRIES));
        assertEquals(1, c.get(TcpCounters.CONN_RETRANSMITS), "one frame resent");
        assertEquals(bytes + mss, payloadSentByA(net), "exactly the lost MSS resent");
        long copies = net.sentBy(ADDRESS_A).stream().filter(s -> s.sequenceNumber() == lostSeq[0]).count();
        assertEquals(2, copies, "the lost segment went out twice");
    }

    @Test
    void randomLossWithSuperFramesIsByteExact() {
        TcpConfig config = new TcpConfig().sendBufferBytes(1 << 20).receiveBufferBytes(1 << 20).mslNanos(SECOND);
        TwoLayerNetwork net = network(config);
        net.capture = false;
        TcpSocket[] pair = net.connect(5001, config, config);
        // 1% of the segments cut from A's super-frames (and of B's ACKs) lost, 1% held back 300 us.
        net.filter = TwoLayerNetwork.Filter.onePercentLossAndReorder(new Random(7));
        StreamPattern pattern = new StreamPattern(7);
        long bytes = 16L << 20;
        assertTrue(pattern.sendAndClose(net, pair[0], pair[1], bytes, 600 * SECOND),
                "received " + pattern.read + " of " + bytes);
        assertEquals(bytes, pattern.read);
        assertTrue(net.outA.superFrames > 0);
        TcpCounters c = pair[0].counters();
        assertTrue(c.get(TcpCounters.CONN_FAST_RETRANSMITS) > 0);
        assertTrue(c.get(TcpCounters.CONN_RTO_EXPIRIES) < 50, "RTO expiries " + c.get(TcpCounters.CONN_RTO_EXPIRIES));
        assertEquals(0, net.b.counters().get(TcpCounters.DROPPED_BAD_CHECKSUM));
    }
}
