package dev.tapir.engine.test;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class UdpReceiveStatsTest {
    @Test
    void inOrderGapLateDuplicateAndFin() {
        UdpReceiveStats stats = new UdpReceiveStats();
        stats.onDatagram(1, 1000, 1100, 100);
        stats.onDatagram(2, 2000, 2100, 100);
        stats.onDatagram(3, 3000, 3100, 100);
        assertEquals(0, stats.lost());
        stats.onDatagram(6, 6000, 6100, 100); // 4 and 5 missing
        assertEquals(2, stats.lost());
        assertEquals(6, stats.highestSequence());
        stats.onDatagram(4, 4000, 4100, 100); // late: takes one loss back
        assertEquals(1, stats.lost());
        assertEquals(1, stats.outOfOrder());
        stats.onDatagram(4, 4000, 4100, 100); // duplicate: no loss taken back
        assertEquals(1, stats.lost());
        assertEquals(1, stats.outOfOrder());
        assertEquals(1, stats.duplicates());
        stats.onDatagram(7, 7000, 7100, 100);
        stats.onDatagram(8, 8000, 8100, 100); // iperf2's FIN -8, accounted as 8
        assertEquals(8, stats.packets());
        assertEquals(800, stats.bytes());
        assertEquals(8, stats.highestSequence());
        assertEquals(1, stats.lost()); // only 5 never came
        assertEquals(1, stats.outOfOrder());
        assertEquals(1, stats.duplicates());
    }

    @Test
    void jitterFollowsRfc3550AsIperfComputesIt() {
        UdpReceiveStats stats = new UdpReceiveStats();
        // transit times 100, 110, 105, 125 µs
        stats.onDatagram(1, 0, 100, 10);
        assertEquals(0.0, stats.jitterMillis(), 1e-15);
        stats.onDatagram(2, 1000, 1110, 10); // D = 10: J = 10/16 = 0.625
        assertEquals(0.000625, stats.jitterMillis(), 1e-15);
        stats.onDatagram(3, 2000, 2105, 10); // D = 5: J = 0.625 + 4.375/16 = 0.8984375
        stats.onDatagram(4, 3000, 3125, 10); // D = 20: J = 0.8984375 + 19.1015625/16 = 2.09228515625
        assertEquals(0.00209228515625, stats.jitterMillis(), 1e-15);
        assertEquals(100, stats.minTransitMicros());
        assertEquals(125, stats.maxTransitMicros());
        assertEquals(110.0, stats.meanTransitMicros(), 1e-12);
        // deviations -10, 0, -5, 15: squares 100 + 0 + 25 + 225
        assertEquals(350.0, stats.m2Transit(), 1e-9);
        assertEquals(4, stats.transitCount());
    }

    @Test
    void lateArrivalBeyondWindowCountsAsOutOfOrderLikeIperf() {
        UdpReceiveStats stats = new UdpReceiveStats();
        stats.onDatagram(1, 0, 0, 1);
        stats.onDatagram(3000, 0, 0, 1);
        assertEquals(2998, stats.lost());
        stats.onDatagram(2, 0, 0, 1);
        assertEquals(2997, stats.lost());
        assertEquals(1, stats.outOfOrder());
        assertEquals(0, stats.duplicates());
    }

    @Test
    void aRunCountsLikeItsDatagramsOneByOne() {
        UdpReceiveStats oneByOne = new UdpReceiveStats();
        UdpReceiveStats runs = new UdpReceiveStats();
        // run 1..40 sent at 1000, a gap (41..49 lost), run 50..113 sent at 2000, then 41..45 late as a run
        long[][] batches = {{1, 40, 1000, 1130}, {50, 64, 2000, 2170}, {41, 5, 1100, 2400}, {114, 3, 3000, 3090}};
        for (long[] b : batches) {
            for (long s = b[0]; s < b[0] + b[1]; s++) {
                oneByOne.onDatagram(s, b[2], b[3], 64);
            }
            runs.onRun(b[0], (int) b[1], b[2], b[3], b[1] * 64);
        }
        assertEquals(oneByOne.packets(), runs.packets());
        assertEquals(112, runs.packets());
        assertEquals(oneByOne.bytes(), runs.bytes());
        assertEquals(oneByOne.lost(), runs.lost());
        assertEquals(4, runs.lost()); // 46..49
        assertEquals(oneByOne.outOfOrder(), runs.outOfOrder());
        assertEquals(oneByOne.duplicates(), runs.duplicates());
        assertEquals(oneByOne.highestSequence(), runs.highestSequence());
        assertEquals(oneByOne.jitterMillis(), runs.jitterMillis()); // exact: the same arithmetic
        assertEquals(oneByOne.transitCount(), runs.transitCount());
        assertEquals(oneByOne.minTransitMicros(), runs.minTransitMicros());
        assertEquals(oneByOne.maxTransitMicros(), runs.maxTransitMicros());
        assertEquals(oneByOne.meanTransitMicros(), runs.meanTransitMicros(), 1e-9);
        assertEquals(oneByOne.m2Transit(), runs.m2Transit(), 1e-6 * oneByOne.m2Transit());
        // a duplicate of a run's member is still recognised
        runs.onDatagram(60, 2000, 3200, 64);
        assertEquals(1, runs.duplicates());
    }
}
