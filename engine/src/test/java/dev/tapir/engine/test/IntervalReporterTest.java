package dev.tapir.engine.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tapir.engine.report.Interval;
import dev.tapir.engine.report.IntervalSample;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class IntervalReporterTest {
    @Test
    void samplesOnAnAbsoluteScheduleAndDeltasAddUpToTheTotals() throws InterruptedException {
        TestClock clock = TestClock.start();
        StreamCounters a = new StreamCounters();
        StreamCounters b = new StreamCounters(new UdpReceiveStats());
        List<Interval> intervals = new CopyOnWriteArrayList<>();
        IntervalReporter reporter = new IntervalReporter(clock, 100_000_000L,
                List.of(new ReportedStream(5, true, a, null), new ReportedStream(7, false, b, null)),
                intervals::add);
        reporter.start();
        StopSignal stop = new StopSignal();
        Thread writer = Thread.ofPlatform().start(() -> {
            long sequence = 0;
            while (!stop.stopped()) {
                a.addBytes(1000);
                a.addPackets(1);
                sequence += 2; // every other datagram lost
                b.udp().onDatagram(sequence, 0, 10, 100);
                b.addBytes(100);
                b.addPackets(1);
                Pacer.pause(100_000);
            }
        });
        Thread.sleep(450);
        stop.stop();
        writer.join();
        // Keep the last partial interval even when the sleep overran to within a tenth of an interval of a boundary
        // (it is dropped otherwise, as iperf3 does, and its bytes would be missing from the sums below).
        reporter.stop(true, true);

        // At least 4 full intervals and the last partial one (more if the sleep overran on a loaded machine).
        assertTrue(intervals.size() >= 5, "intervals: " + intervals.size());
        long bytesA = 0;
        long bytesB = 0;
        long lostB = 0;
        long packetsB = 0;
        double previousEnd = 0;
        for (int i = 0; i < intervals.size(); i++) {
            Interval interval = intervals.get(i);
            IntervalSample sa = interval.streams().get(0);
            IntervalSample sb = interval.streams().get(1);
            assertEquals(previousEnd, sa.start(), 1e-12);
            if (i < intervals.size() - 1) {
                // Each boundary sits on the schedule (0.1 s, 0.2 s, ...): never early, late by the wake-up delay only
                // (well under an interval, even on a loaded machine), and lateness does not carry over.
                double due = 0.1 * (i + 1);
                assertTrue(sa.end() >= due - 1e-9 && sa.end() < due + 0.09, "interval " + i + " ends at " + sa.end());
            }
            previousEnd = sa.end();
            assertEquals(5, sa.id());
            assertTrue(sa.sender());
            assertEquals(sa.bytes() + sb.bytes(), interval.sum().bytes());
            bytesA += sa.bytes();
            bytesB += sb.bytes();
            lostB += sb.lostPackets();
            packetsB += sb.packets();
        }
        assertTrue(previousEnd >= 0.45, "last interval ends at " + previousEnd);
        assertEquals(a.bytes(), bytesA);
        assertEquals(b.bytes(), bytesB);
        assertEquals(b.udp().lost(), lostB);
        assertEquals(b.udp().highestSequence(), packetsB);
        assertEquals(-1, reporter.tcpFigures(0).retransmits());
    }

    @Test
    void aShortLastIntervalIsKeptWhenAskedAndDataMovedInIt() throws InterruptedException {
        for (boolean keep : new boolean[] {false, true}) {
            for (boolean moved : new boolean[] {false, true}) {
                TestClock clock = TestClock.start();
                StreamCounters a = new StreamCounters();
                StreamCounters b = new StreamCounters();
                List<Interval> intervals = new CopyOnWriteArrayList<>();
                IntervalReporter reporter = new IntervalReporter(clock, 1_000_000_000L,
                        List.of(new ReportedStream(1, true, a, null), new ReportedStream(3, true, b, null)),
                        intervals::add);
                reporter.start();
                if (moved) {
                    a.addBytes(5000);
                    b.addBytes(7000);
                }
                Thread.sleep(30);
                reporter.stop(true, keep);
                String what = "keep " + keep + ", moved " + moved;
                // 30 ms is under a tenth of the 1 s interval: only data in it (and asking) keeps it.
                assertEquals(keep && moved ? 1 : 0, intervals.size(), what);
                if (keep && moved) {
                    IntervalSample sa = intervals.get(0).streams().get(0);
                    assertEquals(0.0, sa.start(), 0.0, what);
                    assertTrue(sa.end() >= 0.03 && sa.end() < 1.0, what + ": ends at " + sa.end());
                    assertEquals(5000, sa.bytes(), what);
                    assertEquals(7000, intervals.get(0).streams().get(1).bytes(), what);
                    assertEquals(12000, intervals.get(0).sum().bytes(), what);
                }
            }
        }
    }
}
