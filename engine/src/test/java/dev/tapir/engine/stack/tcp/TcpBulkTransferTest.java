package dev.tapir.engine.stack.tcp;

import static dev.tapir.engine.stack.tcp.TwoLayerNetwork.ADDRESS_A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Large transfers through a lossy, reordering link: every byte must arrive, in order, exactly once. */
class TcpBulkTransferTest {
    private static final long SECOND = 1_000_000_000L;

    private static long transfer(String congestion, long bytes, int mtu, long seed) {
        TcpConfig config = new TcpConfig().congestion(congestion).sendBufferBytes(1 << 20)
                .receiveBufferBytes(1 << 20).mslNanos(SECOND);
        TwoLayerNetwork net = new TwoLayerNetwork(config, mtu, mtu);
        net.delayNanos = 200_000L;
        net.capture = false;
        TcpSocket[] pair = net.connect(5001, config, config);
        // 1% loss and 1% reordering (held back 300 us) in both directions.
        net.filter = TwoLayerNetwork.Filter.onePercentLossAndReorder(new Random(seed));
        StreamPattern pattern = new StreamPattern(seed);
        assertTrue(pattern.sendAndClose(net, pair[0], pair[1], bytes, 600 * SECOND),
                "received " + pattern.read + " of " + bytes);
        assertEquals(bytes, pattern.read);
        assertEquals(TcpState.CLOSE_WAIT, pair[1].state());
        TcpCounters c = pair[0].counters();
        assertTrue(c.get(TcpCounters.CONN_RETRANSMITS) > 0);
        assertTrue(c.get(TcpCounters.CONN_FAST_RETRANSMITS) > 0);
        assertTrue(c.get(TcpCounters.CONN_SRTT_NANOS) > 0);
        assertEquals(0, net.a.counters().get(TcpCounters.DROPPED_BAD_CHECKSUM));
        return c.get(TcpCounters.CONN_RTO_EXPIRIES);
    }

    @Test
    void cubic64MiBWithLossAndReorderingIsByteExact() {
        long rtos = transfer("cubic", 64L << 20, 9000, 42);
        assertTrue(rtos < 50, "RTO expiries " + rtos);
    }

    @Test
    void newReno16MiBWithLossAndReorderingIsByteExact() {
        long rtos = transfer("reno", 16L << 20, 1500, 43);
        assertTrue(rtos < 100, "RTO expiries " + rtos);
    }

    @Test
    void largeSegmentsAtMtu65535() {
        TcpConfig config = new TcpConfig().mslNanos(SECOND);
        TwoLayerNetwork net = new TwoLayerNetwork(config, 65535, 65535);
        net.capture = false;
        TcpSocket[] pair = net.connect(5001, config, config);
        assertEquals(65535 - 40 - 12, pair[0].sendMss());
        TcpConnectionTest.assertTransfer(net, pair[0], pair[1], 32L << 20);
        assertTrue(net.outA.sent < (32L << 20) / 60000 + 200, "segments " + net.outA.sent);
        assertEquals(ADDRESS_A, pair[0].localAddress());
    }
}
