package dev.tapir.engine.stack.phy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tapir.engine.stack.phy.FaultInjector.Fault;
import java.util.ArrayList;
import java.util.List;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class FaultInjectorTest {
    private static final int FRAMES = 2000;

    /** Sends numbered frames through a link into an injector and returns the numbers as they came out. */
    private static List<Integer> run(FaultInjector.Options options, long stepNanos, int[] corruptedOut) {
        MemoryLink link = new MemoryLink(1500, 1 << 20);
        FaultInjector injector = new FaultInjector(link.endB(), options);
        List<Integer> out = new ArrayList<>();
        long now = 0;
        FrameHandler handler = (buffer, offset, length, flags) -> {
            int number = buffer.getInt(offset);
            // The frame carries its number twice; a corrupted byte makes the copies or the filler disagree.
            boolean intact = number == buffer.getInt(offset + 4) && length == 64;
            for (int i = 8; i < length && intact; i++) {
                intact = buffer.getByte(offset + i) == (byte) i;
            }
            if (intact) {
                out.add(number);
            } else {
                corruptedOut[0]++;
            }
        };
        for (int n = 0; n < FRAMES; n++) {
            Device a = link.endA();
            int at = a.claim(64);
            MutableDirectBuffer b = a.transmitBuffer();
            b.putInt(at, n);
            b.putInt(at + 4, n);
            for (int i = 8; i < 64; i++) {
                b.putByte(at + i, (byte) i);
            }
            a.commit(now, at);
            if (n % 4 == 3) {
                injector.receive(now, handler, 16);
            }
            now += stepNanos;
        }
        for (int i = 0; i < 200; i++) {
            injector.receive(now, handler, 16);
            now += stepNanos;
        }
        return out;
    }

    @Test
    void sameSeedGivesTheSameFaultsAndAnotherSeedDiffers() {
        FaultInjector.Options options = FaultInjector.Options.none(7).withLoss(10).withDuplicate(5).withReorder(5)
                .withCorrupt(3);
        int[] corruptedFirst = new int[1];
        int[] corruptedSecond = new int[1];
        List<Integer> first = run(options, 1000, corruptedFirst);
        List<Integer> second = run(options, 1000, corruptedSecond);
        assertEquals(first, second);
        assertEquals(corruptedFirst[0], corruptedSecond[0]);
        List<Integer> other = run(FaultInjector.Options.none(8).withLoss(10).withDuplicate(5).withReorder(5)
                .withCorrupt(3), 1000, new int[1]);
        assertNotEquals(first, other);
    }

    @Test
    void eachFaultIsCountedAndShowsInTheDeliveredSequence() {
        MemoryLink link = new MemoryLink(1500, 1 << 20);
        FaultInjector injector = new FaultInjector(link.endB(), FaultInjector.Options.none(1).withLoss(10)
                .withDuplicate(10).withReorder(10).withCorrupt(10));
        int[] corrupted = new int[1];
        List<Integer> out = new ArrayList<>();
        long now = 0;
        for (int n = 0; n < FRAMES; n++) {
            int at = link.endA().claim(64);
            link.endA().transmitBuffer().putInt(at, n);
            link.endA().transmitBuffer().putInt(at + 4, n);
            link.endA().commit(now, at);
        }
        int delivered = 0;
        int calls = 0;
        while (calls++ < 1000) {
            delivered += injector.receive(now, (buffer, offset, length, flags) -> {
                if (buffer.getInt(offset) == buffer.getInt(offset + 4)) {
                    out.add(buffer.getInt(offset));
                } else {
                    corrupted[0]++;
                }
            }, 64);
        }
        var c = injector.counters();
        assertEquals(FRAMES, c.get(Fault.RECEIVED));
        assertEquals(FRAMES - c.get(Fault.LOST) + c.get(Fault.DUPLICATED), c.get(Fault.DELIVERED));
        assertEquals(c.get(Fault.DELIVERED), delivered);
        for (Fault fault : new Fault[] {Fault.LOST, Fault.DUPLICATED, Fault.REORDERED, Fault.CORRUPTED}) {
            long count = c.get(fault);
            // 10% of 2000 (corruption may leave the number intact when it hits the filler, duplication counts once).
            assertTrue(count > 120 && count < 290, fault + " = " + count);
        }
        int inversions = 0;
        int duplicates = 0;
        for (int i = 1; i < out.size(); i++) {
            inversions += out.get(i) < out.get(i - 1) ? 1 : 0;
            duplicates += out.get(i).equals(out.get(i - 1)) ? 1 : 0;
        }
        assertTrue(inversions >= c.get(Fault.REORDERED) / 2, "reordered frames arrive late: " + inversions);
        assertTrue(duplicates > 0);
        assertTrue(corrupted[0] > 0 && corrupted[0] <= c.get(Fault.CORRUPTED) * 2);
    }

    @Test
    void delayReleasesFramesByTheClockAndRateLimitDropsBeyondTheBucket() {
        MemoryLink link = new MemoryLink(1500, 1 << 20);
        FaultInjector delayed = new FaultInjector(link.endB(), FaultInjector.Options.none(1).withDelay(5_000_000));
        int at = link.endA().claim(100);
        link.endA().commit(0, at);
        int[] got = new int[1];
        FrameHandler count = (buffer, offset, length, flags) -> got[0]++;
        assertEquals(0, delayed.receive(0, count, 10));
        assertEquals(0, delayed.receive(4_999_999, count, 10));
        assertEquals(1, delayed.receive(5_000_000, count, 10));
        assertEquals(1, got[0]);
        assertEquals(1, delayed.counters().get(Fault.DELAYED));

        MemoryLink link2 = new MemoryLink(1500, 1 << 20);
        // 100 kB/s with a 10 kB bucket: 100 frames of 1000 bytes at once pass 10; 50 ms later 5 more fit.
        FaultInjector limited = new FaultInjector(link2.endB(), FaultInjector.Options.none(1).withRate(100_000, 10_000));
        for (int i = 0; i < 100; i++) {
            link2.endA().commit(0, link2.endA().claim(1000));
        }
        got[0] = 0;
        limited.receive(0, count, 100);
        assertEquals(10, got[0]);
        assertEquals(90, limited.counters().get(Fault.RATE_LIMITED));
        for (int i = 0; i < 10; i++) {
            link2.endA().commit(0, link2.endA().claim(1000));
        }
        limited.receive(50_000_000, count, 100);
        assertEquals(15, got[0]);
    }

    /** Hands up queued super-frames of {@link #LENGTH} bytes with a partial checksum, as a tap with TSO does. */
    private static final class SuperFrameDevice implements Device {
        static final int LENGTH = 14 + 65535;
        private final MutableDirectBuffer frame = new UnsafeBuffer(new byte[LENGTH]);
        int queued;
        int offloadedOffset = -1;
        int offloadedSegmentSize;

        SuperFrameDevice() {
            for (int i = 0; i < LENGTH; i++) {
                frame.putByte(i, (byte) i);
            }
        }

        @Override
        public int mtu() {
            return 1500;
        }

        @Override
        public DeviceOffloads offloads() {
            return new DeviceOffloads(true, LENGTH, LENGTH);
        }

        @Override
        public int receive(long nowNanos, FrameHandler handler, int limit) {
            int n = 0;
            while (queued > 0 && n < limit) {
                queued--;
                n++;
                handler.onFrame(frame, 0, LENGTH, FrameHandler.CHECKSUM_PARTIAL);
            }
            return n;
        }

        @Override
        public int claim(int length) {
            return 0;
        }

        @Override
        public MutableDirectBuffer transmitBuffer() {
            return frame;
        }

        @Override
        public void offloadTransmit(int offset, int checksumStart, int checksumOffset, int headerLength,
                int segmentSize) {
            offloadedOffset = offset;
            offloadedSegmentSize = segmentSize;
        }

        @Override
        public void commit(long nowNanos, int offset) {
        }

        @Override
        public void abort(int offset) {
        }

        @Override
        public void close() {
        }
    }

    @Test
    void superFramesAreLostDelayedAndCorruptedWholeAndKeepTheirFlags() {
        SuperFrameDevice device = new SuperFrameDevice();
        List<String> seen = new ArrayList<>();
        FrameHandler record = (buffer, offset, length, flags) -> seen.add(length + "/" + flags + "/"
                + buffer.getByte(offset + length - 1));
        String intact = SuperFrameDevice.LENGTH + "/" + FrameHandler.CHECKSUM_PARTIAL + "/"
                + (byte) (SuperFrameDevice.LENGTH - 1);

        FaultInjector lossy = new FaultInjector(device, FaultInjector.Options.none(3).withLoss(100));
        device.queued = 2;
        assertEquals(0, lossy.receive(0, record, 10));
        assertEquals(2, lossy.counters().get(Fault.LOST), "each super-frame lost as one frame");

        FaultInjector delayed = new FaultInjector(device, FaultInjector.Options.none(3).withDelay(1_000_000));
        device.queued = 3;
        assertEquals(0, delayed.receive(0, record, 10));
        assertEquals(3, delayed.receive(1_000_000, record, 10));
        assertEquals(List.of(intact, intact, intact), seen, "held whole, flags kept");
        assertEquals(0, delayed.counters().get(Fault.DELAY_OVERFLOW));

        seen.clear();
        FaultInjector corrupting = new FaultInjector(device, FaultInjector.Options.none(3).withCorrupt(100));
        device.queued = 1;
        assertEquals(1, corrupting.receive(0, record, 10));
        assertTrue(seen.get(0).startsWith(SuperFrameDevice.LENGTH + "/0/"), "a corrupted frame is checked: " + seen);

        seen.clear();
        // The default bucket is never smaller than one super-frame, so a slow rate still lets one through.
        FaultInjector limited = new FaultInjector(device, FaultInjector.Options.none(3).withRate(1_000, 0));
        device.queued = 2;
        assertEquals(1, limited.receive(0, record, 10));
        assertEquals(1, limited.counters().get(Fault.RATE_LIMITED));

        limited.offloadTransmit(14, 34, 16, 66, 1448);
        assertEquals(14, device.offloadedOffset, "transmit offloads reach the inner device");
        assertEquals(1448, device.offloadedSegmentSize);
        assertEquals(device.offloads(), limited.offloads());
    }
}
