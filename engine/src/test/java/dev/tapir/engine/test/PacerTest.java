package dev.tapir.engine.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PacerTest {
    /** Runs a sender that only counts for about half a second and returns the achieved rate in bits/s. */
    private static double paced(long rate, int datagram, int batch) {
        long start = System.nanoTime();
        Pacer pacer = new Pacer(rate, (long) datagram * batch, start);
        long end = start + 500_000_000L;
        long bytes = 0;
        long now;
        while ((now = System.nanoTime()) - end < 0) {
            int n = pacer.allowance(now, datagram, batch);
            if (n == 0) {
                Pacer.pause(Math.min(pacer.waitNanos(now), end - now));
                continue;
            }
            pacer.consume(now, (long) n * datagram);
            bytes += (long) n * datagram;
        }
        return bytes * 8e9 / (System.nanoTime() - start);
    }

    @Test
    void holdsTenMegabits() {
        double rate = paced(10_000_000, 1250, 8);
        assertEquals(10_000_000, rate, 500_000);
    }

    @Test
    void holdsFourHundredMegabits() {
        double rate = paced(400_000_000, 1460, 16);
        assertEquals(400_000_000, rate, 20_000_000);
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
