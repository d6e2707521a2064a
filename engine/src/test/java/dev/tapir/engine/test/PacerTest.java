package dev.tapir.engine.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PacerTest {
    /**
     * Runs a sender on a virtual clock for {@code seconds}: every wait ends {@code lateNanos} after the pacer asked
     * (a parked thread wakes up late), and each send costs {@code sendNanos}. Returns the bytes sent.
     */
    private static long paced(long rate, int datagram, int batch, double seconds, long lateNanos, long sendNanos) {
        Pacer pacer = new Pacer(rate, (long) datagram * batch, 0);
        long end = (long) (seconds * 1e9);
        long bytes = 0;
        long now = 0;
        for (int step = 0; step < 50_000_000 && now < end; step++) {
            int n = pacer.allowance(now, datagram, batch);
            if (n == 0) {
                now += pacer.waitNanos(now) + lateNanos;
                continue;
            }
            pacer.consume(now, (long) n * datagram);
            bytes += (long) n * datagram;
            now += sendNanos;
        }
        return bytes;
    }

    @Test
    void holdsTheRateThoughEveryWakeUpIsLate() {
        // Wake-ups later by less than the catch-up window (100 ms) are caught up: the bytes sent stay within one
        // batch and one burst of rate x time. 5 and 20 ms are what a parked thread sees on a busy 2-core machine.
        for (long late : new long[] {0, 1_000, 100_000, 1_500_000, 5_000_000, 20_000_000}) {
            // The run ends during a sleep, up to one late wake-up short (late x rate).
            long bytes = paced(400_000_000, 1460, 16, 0.5, late, 2_000);
            assertEquals(25_000_000, bytes, 1460 * 16 + 100_000 + late * 400 / 8_000, "late by " + late + " ns");
            bytes = paced(10_000_000, 1250, 8, 0.5, late, 2_000);
            assertEquals(625_000, bytes, 1250 * 8 + 10_000 + late * 10 / 8_000, "late by " + late + " ns");
        }
    }

    @Test
    void holdsALowRateThoughWakeUpsComeMillisecondsLate() {
        // 1 Mbit/s in 64-byte datagrams, one per wake-up, each wake-up 3 or 8 ms late (a loaded machine): the
        // catch-up keeps the rate (with 2 ms only it lost a third)
        for (long late : new long[] {3_000_000, 8_000_000}) {
            long bytes = paced(1_000_000, 64, 1, 1.0, late, 2_000);
            assertEquals(125_000, bytes, 64 * 2 + 1_250, "late by " + late + " ns");
        }
        // 100 Mbit/s in batches of 8, wake-ups 6 ms late (with 2 ms of catch-up the sender fell short of iperf3's
        // rate)
        long bytes = paced(100_000_000, 1400, 8, 1.0, 6_000_000, 2_000);
        assertEquals(12_500_000, bytes, 1400 * 8 + 125_000);
    }

    @Test
    void aStalledSenderCatchesUpAtMostOneBurst() {
        // 8 Mbit/s = 1 byte per µs; after a 250 ms stall only the 100 ms window may go at once: the unit due at the
        // start of the window and one per ms of it (101 of 1000 bytes), then the next is 1 ms away.
        Pacer pacer = new Pacer(8_000_000, 1000, 0);
        pacer.consume(0, 1000);
        assertEquals(101, pacer.allowance(251_000_000, 1000, 1000));
        pacer.consume(251_000_000, 101_000);
        assertEquals(0, pacer.allowance(251_000_000, 1000, 1000));
        assertEquals(1_000_000, pacer.waitNanos(251_000_000));
    }

    @Test
    void pauseWaitsAtLeastWhatItIsAsked() {
        for (long nanos : new long[] {10_000, 200_000}) {
            long start = System.nanoTime();
            Pacer.pause(nanos);
            long waited = System.nanoTime() - start;
            assertTrue(waited >= nanos, "waited " + waited + " ns for " + nanos);
        }
    }

    @Test
    void allowanceAndWaitFollowTheRate() {
        // 8 Mbit/s = 1 byte per µs: after sending 1000 bytes at t=0 the next send is due at t=1 ms.
        Pacer pacer = new Pacer(8_000_000, 1000, 0);
        assertEquals(1, pacer.allowance(0, 1000, 10));
        pacer.consume(0, 1000);
        assertEquals(0, pacer.allowance(500_000, 1000, 10));
        assertEquals(500_000, pacer.waitNanos(500_000));
        assertEquals(1, pacer.allowance(1_000_000, 1000, 10));
        assertEquals(3, pacer.allowance(3_000_000, 1000, 10));
    }

    @Test
    void rejectsZeroRate() {
        assertThrows(IllegalArgumentException.class, () -> new Pacer(0, 1, 0));
    }
}
