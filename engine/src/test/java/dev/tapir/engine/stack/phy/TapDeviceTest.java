package dev.tapir.engine.stack.phy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tapir.engine.stack.wire.Checksum;
import dev.tapir.nativeio.IoUring;
import dev.tapir.nativeio.Namespaces;
import dev.tapir.nativeio.Netlink;
import dev.tapir.nativeio.SyscallException;
import dev.tapir.nativeio.Tun;
import dev.tapir.nativeio.VirtioNetHeader;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Two TapDevices on a bridge inside a namespace this test creates and deletes. */
class TapDeviceTest {
    private static final int ETHERTYPE_RAW = 0x88b5;
    private static final int ETHERTYPE_BURST = 0x88b6;
    private static final int SOURCE = 0xc0a87a0a; // 192.168.122.10, bridged inside the namespace only
    private static final int DESTINATION = 0xc0a87a14; // 192.168.122.20
    private final String ns = "tapir-t-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24) | (1 << 24));
    private TapDevice tap0;
    private TapDevice tap1;

    /** What a handler saw, copied out during the callback. */
    private final UnsafeBuffer seen = new UnsafeBuffer(new byte[70_000]);
    private int seenLength;
    private int seenGsoType;
    private int seenGsoSize;
    private int seenHeaderLength;
    private boolean seenPartial;
    private int seenChecksumStart;
    private int seenChecksumOffset;

    @BeforeEach
    void createNamespace() throws Exception {
        Namespaces.create(ns);
    }

    @AfterEach
    void deleteNamespace() throws Exception {
        try {
            if (tap0 != null) {
                tap0.close();
            }
            if (tap1 != null) {
                tap1.close();
            }
        } finally {
            Namespaces.delete(ns);
        }
    }

    private void bridgedPair(TapDevice.Options options0, TapDevice.Options options1) throws Exception {
        List<TapDevice> taps = Namespaces.callIn(ns, () -> {
            TapDevice a = TapDevice.open("tdev0", options0);
            TapDevice b = TapDevice.open("tdev1", options1);
            try (Netlink nl = Netlink.open()) {
                nl.createBridge("tdevbr0");
                int bridge = Netlink.indexOf("tdevbr0");
                for (String port : List.of("tdev0", "tdev1")) {
                    nl.setMaster(Netlink.indexOf(port), bridge);
                    nl.setUp(Netlink.indexOf(port), true);
                }
                nl.setUp(bridge, true);
            }
            return List.of(a, b);
        });
        tap0 = taps.get(0);
        tap1 = taps.get(1);
    }

    private void record(DirectBuffer buffer, int offset, int length, int flags, TapDevice device) {
        seen.putBytes(0, buffer, offset, length);
        seenLength = length;
        seenPartial = (flags & FrameHandler.CHECKSUM_PARTIAL) != 0;
        seenGsoType = device.receivedGsoType();
        seenGsoSize = device.receivedGsoSize();
        seenHeaderLength = device.receivedHeaderLength();
        seenChecksumStart = device.receivedChecksumStart();
        seenChecksumOffset = device.receivedChecksumOffset();
    }

    /** Sends a frame built by {@code build} every 20 ms until tap1 hands over one of {@code ethertype}; 3 s bound. */
    private long exchange(int length, int ethertype, FrameBuilder build) throws InterruptedException {
        long sent = 0;
        long deadline = System.nanoTime() + 3_000_000_000L;
        while (System.nanoTime() < deadline) {
            int offset = tap0.claim(length);
            build.write(tap0.transmitBuffer(), offset);
            tap0.commit(System.nanoTime(), offset);
            tap0.sendCommitted(System.nanoTime());
            sent++;
            for (int i = 0; i < 20; i++) {
                seenLength = 0;
                tap1.receive(System.nanoTime(), (b, o, l, f) -> {
                    if (seenLength == 0 && (b.getShort(o + 12, ByteOrder.BIG_ENDIAN) & 0xffff) == ethertype) {
                        record(b, o, l, f, tap1);
                    }
                }, 16);
                if (seenLength != 0) {
                    return sent;
                }
                Thread.sleep(1);
            }
        }
        throw new AssertionError("no frame crossed the bridge in 3 s");
    }

    @FunctionalInterface
    private interface FrameBuilder {
        void write(MutableDirectBuffer buffer, int offset);
    }

    private static void ethernet(MutableDirectBuffer b, int at, int ethertype) {
        b.putInt(at, 0x02000000, ByteOrder.BIG_ENDIAN);
        b.putShort(at + 4, (short) 0x0002, ByteOrder.BIG_ENDIAN);
        b.putInt(at + 6, 0x02000000, ByteOrder.BIG_ENDIAN);
        b.putShort(at + 10, (short) 0x0001, ByteOrder.BIG_ENDIAN);
        b.putShort(at + 12, (short) ethertype, ByteOrder.BIG_ENDIAN);
    }

    @ParameterizedTest(name = "io_uring {0}")
    @ValueSource(booleans = {true, false})
    void plainFramesCrossTheBridgeAndAreCounted(boolean ioUring) throws Exception {
        bridgedPair(TapDevice.Options.plain().withIoUring(ioUring), TapDevice.Options.plain().withIoUring(ioUring));
        assertEquals(ioUring && IoUring.isAllowed(), tap0.usesIoUring(), "io_uring where asked for and allowed");
        assertEquals(1500, tap0.mtu());
        assertEquals(1518, tap0.maxFrameLength());
        assertEquals(new DeviceOffloads(false, 0, 1518), tap0.offloads());
        assertThrows(IllegalStateException.class, () -> tap0.offloadTransmit(tap0.claim(60), 34, 16, 0, 0),
                "no vnet header, no partial checksum");
        long sent = exchange(1514, ETHERTYPE_RAW, (b, at) -> {
            ethernet(b, at, ETHERTYPE_RAW);
            for (int i = 14; i < 1514; i++) {
                b.putByte(at + i, (byte) (i * 31));
            }
        });
        assertEquals(1514, seenLength);
        for (int i = 14; i < 1514; i++) {
            assertEquals((byte) (i * 31), seen.getByte(i), "byte " + i);
        }
        assertEquals(0, seenGsoType);
        assertEquals(sent, tap0.transmittedFrames());
        assertEquals(sent * 1514, tap0.transmittedBytes());
        assertEquals(0, tap0.transmitDrops());
        assertTrue(tap1.receivedFrames() >= 1);
        assertTrue(tap1.receivedBytes() >= 1514);
        assertTrue(tap1.receiveAgain() >= 1, "an empty queue answers EAGAIN, counted");
        assertEquals(0, tap1.lastErrno());
    }

    @ParameterizedTest(name = "io_uring {0}")
    @ValueSource(booleans = {true, false})
    void claimsAreSlotsUntilCommittedOrAborted(boolean ioUring) throws Exception {
        bridgedPair(new TapDevice.Options(false, 0, 2, ioUring), TapDevice.Options.plain());
        int first = tap0.claim(60);
        int second = tap0.claim(60);
        assertTrue(first != second);
        assertEquals(-1, tap0.claim(60), "both slots taken");
        tap0.abort(first);
        assertEquals(first, tap0.claim(60));
        assertThrows(IllegalArgumentException.class, () -> tap0.claim(1519));
        assertThrows(IllegalArgumentException.class, () -> tap0.abort(first + 1));
        assertThrows(IllegalArgumentException.class, () -> tap0.commit(0, first + 1));
        assertThrows(IllegalArgumentException.class, () -> new TapDevice.Options(false, Tun.TUN_F_CSUM, 4, true));
    }

    /**
     * More frames than there are transmit and receive slots, committed back to back: claims send what is committed
     * when the slots run out, batched reads hand the frames over in order, and every frame is counted once.
     */
    @ParameterizedTest(name = "io_uring {0}")
    @ValueSource(booleans = {true, false})
    void aBurstLargerThanTheSlotsCrossesInOrder(boolean ioUring) throws Exception {
        bridgedPair(TapDevice.Options.plain().withIoUring(ioUring), TapDevice.Options.plain().withIoUring(ioUring));
        int frames = 5 * Math.max(TapDevice.TRANSMIT_SLOTS, TapDevice.RECEIVE_SLOTS);
        exchange(60, ETHERTYPE_RAW, (b, at) -> ethernet(b, at, ETHERTYPE_RAW)); // the bridge forwards by now
        long sentBefore = tap0.transmittedFrames();
        for (int i = 0; i < frames; i++) {
            int at = tap0.claim(64);
            assertTrue(at >= 0, "a claim finds a slot: with io_uring it sends the committed ones first");
            ethernet(tap0.transmitBuffer(), at, ETHERTYPE_BURST);
            tap0.transmitBuffer().putInt(at + 14, i, ByteOrder.BIG_ENDIAN);
            tap0.commit(System.nanoTime(), at);
        }
        tap0.sendCommitted(System.nanoTime());
        assertEquals(frames, tap0.transmittedFrames() - sentBefore);
        assertEquals(0, tap0.transmitDrops());
        int[] next = {0};
        long deadline = System.nanoTime() + 3_000_000_000L;
        while (next[0] < frames && System.nanoTime() < deadline) {
            tap1.receive(System.nanoTime(), (b, o, l, f) -> {
                if ((b.getShort(o + 12, ByteOrder.BIG_ENDIAN) & 0xffff) == ETHERTYPE_BURST) {
                    assertEquals(next[0]++, b.getInt(o + 14, ByteOrder.BIG_ENDIAN), "frames in order");
                }
            }, 64);
        }
        assertEquals(frames, next[0]);
        assertEquals(0, tap1.receiveDrops());
        assertEquals(0, tap1.submitFailures());
    }

    @Test
    void tso4SuperFrameRoundTripsWithItsVirtioNetHeader() throws Exception {
        bridgedPair(TapDevice.Options.tcpOffloads(),
                TapDevice.Options.virtioNet(Tun.TUN_F_CSUM | Tun.TUN_F_TSO4 | Tun.TUN_F_TSO6));
        assertEquals(new DeviceOffloads(true, TapDevice.MAX_SUPER_FRAME, TapDevice.MAX_SUPER_FRAME), tap0.offloads());
        int payload = 20 * 1448;
        int length = 14 + 20 + 20 + payload;
        long sent = exchange(length, 0x0800, (b, at) -> tcp4SuperFrame(b, at, payload));
        assertEquals(sent, tap0.transmittedSuperFrames());
        assertTrue(tap1.receivedSuperFrames() >= 1);
        assertEquals(length, seenLength, "one super-frame, not segmented");
        assertEquals(VirtioNetHeader.GSO_TCPV4, seenGsoType);
        assertEquals(1448, seenGsoSize);
        assertEquals(54, seenHeaderLength);
        assertTrue(seenPartial);
        assertEquals(34, seenChecksumStart);
        assertEquals(16, seenChecksumOffset);
        assertEquals(0, Checksum.compute(seen, 14, 20), "IPv4 header checksum intact");
        for (int i = 0; i < payload; i += 997) {
            assertEquals((byte) (i * 7), seen.getByte(54 + i), "payload byte " + i);
        }
        // The field still holds the pseudo-header sum: the receiver finishes the checksum from csum_start.
        assertEquals(~Checksum.finish(Checksum.pseudoHeader(SOURCE, DESTINATION, 6, 20 + payload)) & 0xffff,
                seen.getShort(34 + 16, ByteOrder.BIG_ENDIAN) & 0xffff);
    }

    /** IPv4 .10 -> .20 with a valid header checksum, TCP ACK|PSH, marked as a TSO super-frame of MSS 1448. */
    private void tcp4SuperFrame(MutableDirectBuffer b, int at, int payload) {
        ethernet(b, at, 0x0800);
        int ip = at + 14;
        b.putInt(ip, 0x45000000 | (40 + payload), ByteOrder.BIG_ENDIAN);
        b.putInt(ip + 4, 0x00004000, ByteOrder.BIG_ENDIAN);
        b.putInt(ip + 8, 0x40060000, ByteOrder.BIG_ENDIAN);
        b.putInt(ip + 12, SOURCE, ByteOrder.BIG_ENDIAN);
        b.putInt(ip + 16, DESTINATION, ByteOrder.BIG_ENDIAN);
        b.putShort(ip + 10, (short) Checksum.compute(b, ip, 20), ByteOrder.BIG_ENDIAN);
        int tcp = ip + 20;
        b.putInt(tcp, (40000 << 16) | 5001, ByteOrder.BIG_ENDIAN);
        b.putInt(tcp + 4, 1, ByteOrder.BIG_ENDIAN);
        b.putInt(tcp + 8, 1, ByteOrder.BIG_ENDIAN);
        b.putInt(tcp + 12, 0x50180200, ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < payload; i++) {
            b.putByte(tcp + 20 + i, (byte) (i * 7));
        }
        // CHECKSUM_PARTIAL convention: the field holds the folded pseudo-header sum, not complemented.
        int partial = ~Checksum.finish(Checksum.pseudoHeader(SOURCE, DESTINATION, 6, 20 + payload)) & 0xffff;
        b.putShort(tcp + 16, (short) partial, ByteOrder.BIG_ENDIAN);
        tap0.offloadTransmit(at, 34, 16, 54, 1448);
    }

    @Test
    void attachWithoutOffloadsClearsTsoLeftOnAPersistentTap() throws Exception {
        Namespaces.callIn(ns, () -> {
            try (Tun tun = Tun.open("tdev1", Tun.IFF_TAP | Tun.IFF_NO_PI | Tun.IFF_VNET_HDR, false)) {
                tun.setOffload(Tun.TUN_F_CSUM | Tun.TUN_F_TSO4 | Tun.TUN_F_TSO6);
                tun.setPersist(true);
            }
            return null;
        });
        // tdev1 now exists with TSO on; TapDevice must turn it off, so the bridge segments the super-frame.
        bridgedPair(TapDevice.Options.tcpOffloads(), TapDevice.Options.virtioNet(0));
        int payload = 20 * 1448;
        exchange(14 + 40 + payload, 0x0800, (b, at) -> tcp4SuperFrame(b, at, payload));
        assertEquals(14 + 40 + 1448, seenLength, "segmented to MSS-sized frames");
        assertEquals(VirtioNetHeader.GSO_NONE, seenGsoType);
        assertEquals(0, Checksum.compute(seen, 14, 20), "segment's IPv4 header checksum valid");
        long tcpSum = Checksum.add(Checksum.pseudoHeader(SOURCE, DESTINATION, 6, 20 + 1448), seen, 34, 20 + 1448);
        assertEquals(0, Checksum.finish(tcpSum), "software-finished TCP checksum valid");
    }
}
