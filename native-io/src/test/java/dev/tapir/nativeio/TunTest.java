package dev.tapir.nativeio;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TunTest {
    private static final int TAP = Tun.IFF_TAP | Tun.IFF_NO_PI;
    private static final ValueLayout.OfShort BE_SHORT = JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt BE_INT = JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private TestNetns ns;

    @BeforeEach
    void createNamespace() throws Exception {
        ns = TestNetns.create();
    }

    @AfterEach
    void deleteNamespace() throws Exception {
        ns.close();
    }

    @Test
    void openTapReturnsKernelNameFlagsAndVnetSettings() throws Exception {
        ns.call(() -> {
            try (Tun tun = Tun.open("tapir%d", TAP | Tun.IFF_VNET_HDR, true)) {
                assertEquals("tapir0", tun.name());
                int flags = tun.flags();
                assertEquals(TAP | Tun.IFF_VNET_HDR, flags & (TAP | Tun.IFF_VNET_HDR | Tun.IFF_PERSIST));
                assertEquals(TAP | Tun.IFF_VNET_HDR | Tun.IFF_MULTI_QUEUE,
                        tun.features() & (TAP | Tun.IFF_VNET_HDR | Tun.IFF_MULTI_QUEUE));
                tun.setOffload(Tun.TUN_F_CSUM | Tun.TUN_F_TSO4 | Tun.TUN_F_TSO6);
                assertEquals(VirtioNetHeader.SIZE, tun.vnetHeaderSize());
                tun.setVnetHeaderSize(VirtioNetHeader.MRG_RXBUF_SIZE);
                assertEquals(12, tun.vnetHeaderSize());
                try (Netlink nl = Netlink.open(); Arena arena = Arena.ofConfined()) {
                    Netlink.Link link = nl.link("tapir0");
                    assertEquals("tun", link.kind());
                    assertEquals(Netlink.indexOf("tapir0"), link.index());
                    assertEquals(Libc.AGAIN, tun.read(arena.allocate(2048), 0, 2048));
                }
            }
            return null;
        });
        assertFalse(ns.ip("link", "show").contains("tapir0"), "a non-persistent tap vanishes with its fd");
    }

    @Test
    void tapOnExistingNonTunLinkIsEinvalAndLongNameIsRejected() throws Exception {
        SyscallException e = assertThrows(SyscallException.class, () -> ns.call(() -> Tun.open("lo", TAP, true)));
        assertEquals("TUNSETIFF", e.call());
        assertEquals(Errno.EINVAL, e.errno());
        assertThrows(IllegalArgumentException.class, () -> Tun.open("a-name-of-16-chr", TAP, true));
    }

    @Test
    void firstFrameAfterLinkUpIsIpv6Multicast() throws Exception {
        ns.call(() -> {
            try (Tun tun = Tun.open("tmld0", TAP, true); Netlink nl = Netlink.open();
                    Arena arena = Arena.ofConfined()) {
                nl.setUp(Netlink.indexOf("tmld0"), true);
                MemorySegment buf = arena.allocate(2048);
                int n = readWithin(tun, buf, 3000);
                assertTrue(n >= 54, "frame length " + n);
                assertEquals((short) 0x3333, buf.get(BE_SHORT, 0), "IPv6 multicast destination MAC");
                assertEquals((short) 0x86dd, buf.get(BE_SHORT, 12), "ethertype IPv6");
            }
            return null;
        });
    }

    @Test
    void bridgedTapsCarryRawEthertypeFrame() throws Exception {
        ns.call(() -> {
            try (Netlink nl = Netlink.open(); Tun tap0 = Tun.open("traw0", TAP, true);
                    Tun tap1 = Tun.open("traw1", TAP, true); Arena arena = Arena.ofConfined()) {
                bridge(nl, "trawbr0", "traw0", "traw1");
                MemorySegment frame = arena.allocate(64);
                ethernetHeader(frame, 0, 0x88b5);
                for (int i = 14; i < 64; i++) {
                    frame.set(JAVA_BYTE, i, (byte) i);
                }
                MemorySegment in = arena.allocate(2048);
                int n = sendUntilReceived(tap0, frame, 0, 64, tap1, in, 0x88b5, 0);
                assertEquals(64, n);
                assertEquals(-1, in.asSlice(0, 64).mismatch(frame));
            }
            return null;
        });
    }

    @Test
    void tso4SuperFrameCrossesBridgeWithItsVnetHeader() throws Exception {
        ns.call(() -> {
            int flags = TAP | Tun.IFF_VNET_HDR;
            try (Netlink nl = Netlink.open(); Tun tap0 = Tun.open("tgso0", flags, true);
                    Tun tap1 = Tun.open("tgso1", flags, true); Arena arena = Arena.ofConfined()) {
                tap0.setOffload(0);
                tap1.setOffload(Tun.TUN_F_CSUM | Tun.TUN_F_TSO4 | Tun.TUN_F_TSO6);
                bridge(nl, "tgsobr0", "tgso0", "tgso1");
                int payload = 10 * 1448;
                int frameLength = 14 + 20 + 20 + payload;
                int hdr = VirtioNetHeader.SIZE;
                MemorySegment out = arena.allocate(hdr + frameLength);
                VirtioNetHeader.set(out, 0, VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_TCPV4, 54, 1448,
                        34, 16);
                tcp4SuperFrame(out, hdr, payload);
                MemorySegment in = arena.allocate(hdr + 65550);
                int n = sendUntilReceived(tap0, out, 0, hdr + frameLength, tap1, in, 0x0800, hdr);
                assertEquals(hdr + frameLength, n, "one super-frame, not segmented");
                assertEquals(VirtioNetHeader.GSO_TCPV4, VirtioNetHeader.gsoType(in, 0));
                assertEquals(1448, VirtioNetHeader.gsoSize(in, 0));
                assertEquals(VirtioNetHeader.F_NEEDS_CSUM,
                        VirtioNetHeader.flags(in, 0) & VirtioNetHeader.F_NEEDS_CSUM);
                assertEquals(34, VirtioNetHeader.checksumStart(in, 0));
                assertEquals(16, VirtioNetHeader.checksumOffset(in, 0));
                assertEquals(54, VirtioNetHeader.headerLength(in, 0));
                assertEquals(-1, in.asSlice(hdr, frameLength).mismatch(out.asSlice(hdr, frameLength)));
            }
            return null;
        });
    }

    @Test
    void persistentTapKeepsOwnerAcrossReopenUntilPersistCleared() throws Exception {
        ns.call(() -> {
            try (Tun tun = Tun.open("tpers0", TAP, false)) {
                tun.setOwner(54321);
                tun.setGroup(54322);
                tun.setPersist(true);
            }
            try (Tun again = Tun.open("tpers0", TAP, false)) {
                assertEquals(Tun.IFF_PERSIST, again.flags() & Tun.IFF_PERSIST);
            }
            return null;
        });
        // sysfs shows the namespace's links only when mounted inside it, which `ip netns exec` does.
        assertEquals("54321", TestNetns.run("ip", "netns", "exec", ns.name, "cat",
                "/sys/class/net/tpers0/owner").strip());
        assertEquals("54322", TestNetns.run("ip", "netns", "exec", ns.name, "cat",
                "/sys/class/net/tpers0/group").strip());
        ns.call(() -> {
            try (Tun tun = Tun.open("tpers0", TAP, false)) {
                tun.setPersist(false);
            }
            try (Netlink nl = Netlink.open()) {
                SyscallException gone = assertThrows(SyscallException.class, () -> nl.link("tpers0"));
                assertEquals(Errno.ENODEV, gone.errno());
            }
            return null;
        });
    }

    @Test
    void multiQueueTapAcceptsTwoQueues() throws Exception {
        ns.call(() -> {
            int flags = TAP | Tun.IFF_MULTI_QUEUE;
            try (Tun q0 = Tun.open("tmq0", flags, true); Tun q1 = Tun.open("tmq0", flags, true)) {
                assertEquals(Tun.IFF_MULTI_QUEUE, q0.flags() & Tun.IFF_MULTI_QUEUE);
                assertEquals("tmq0", q1.name());
                SyscallException single = assertThrows(SyscallException.class, () -> Tun.open("tmq0", TAP, true));
                assertEquals(Errno.EINVAL, single.errno());
            }
            return null;
        });
    }

    private static void bridge(Netlink nl, String bridge, String... ports) throws SyscallException {
        nl.createBridge(bridge);
        int bridgeIndex = Netlink.indexOf(bridge);
        for (String port : ports) {
            int index = Netlink.indexOf(port);
            nl.setMaster(index, bridgeIndex);
            nl.setUp(index, true);
        }
        nl.setUp(bridgeIndex, true);
    }

    static void ethernetHeader(MemorySegment frame, long at, int ethertype) {
        frame.set(BE_INT, at, 0x02000000);
        frame.set(BE_SHORT, at + 4, (short) 0x0002);
        frame.set(BE_INT, at + 6, 0x02000000);
        frame.set(BE_SHORT, at + 10, (short) 0x0001);
        frame.set(BE_SHORT, at + 12, (short) ethertype);
    }

    /** IPv4 192.168.122.10 -> .20, DF, valid header checksum; TCP ACK|PSH with the pseudo-header sum as check. */
    private static void tcp4SuperFrame(MemorySegment frame, long at, int payload) {
        ethernetHeader(frame, at, 0x0800);
        long ip = at + 14;
        int totalLength = 20 + 20 + payload;
        frame.set(BE_INT, ip, 0x45000000 | totalLength);
        frame.set(BE_INT, ip + 4, 0x00004000);
        frame.set(BE_INT, ip + 8, 0x40060000);
        frame.set(BE_INT, ip + 12, 0xc0a87a0a);
        frame.set(BE_INT, ip + 16, 0xc0a87a14);
        frame.set(BE_SHORT, ip + 10, (short) ~sum(frame, ip, 20, 0));
        long tcp = ip + 20;
        frame.set(BE_INT, tcp, (40000 << 16) | 5001);
        frame.set(BE_INT, tcp + 4, 1);
        frame.set(BE_INT, tcp + 8, 1);
        frame.set(BE_INT, tcp + 12, 0x50180200);
        for (int i = 0; i < payload; i++) {
            frame.set(JAVA_BYTE, tcp + 20 + i, (byte) (i * 7));
        }
        int pseudo = 0xc0a8 + 0x7a0a + 0xc0a8 + 0x7a14 + 6 + 20 + payload;
        frame.set(BE_SHORT, tcp + 16, (short) sum(frame, tcp, 0, pseudo));
    }

    /** Folded one's-complement sum of {@code length} bytes, starting from {@code initial}. */
    private static int sum(MemorySegment seg, long at, int length, int initial) {
        long s = initial;
        for (int i = 0; i + 1 < length; i += 2) {
            s += Short.toUnsignedInt(seg.get(BE_SHORT, at + i));
        }
        while ((s >>> 16) != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) s;
    }

    /** Waits up to {@code millis} for a frame on a non-blocking tap; fails the test if nothing came. */
    static int readWithin(Tun tun, MemorySegment buf, long millis) throws SyscallException {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pollfd = arena.allocate(Libc.POLLFD);
            while (System.nanoTime() < deadline) {
                int n = tun.read(buf, 0, (int) buf.byteSize());
                if (n != Libc.AGAIN) {
                    return n;
                }
                Libc.pollOne(pollfd, tun.fd(), Libc.POLLIN, 50);
            }
        }
        throw new AssertionError("no frame within " + millis + " ms on " + tun.name());
    }

    /**
     * Writes the frame every 20 ms (the bridge ports may still be coming up) until {@code to} reads a frame with the
     * expected ethertype in the Ethernet header at {@code frameAt}, within 3 s; returns the length read. Other frames
     * are skipped.
     */
    static int sendUntilReceived(Tun from, MemorySegment frame, long at, int length, Tun to, MemorySegment in,
            int ethertype, int frameAt) throws SyscallException {
        long deadline = System.nanoTime() + 3_000_000_000L;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pollfd = arena.allocate(Libc.POLLFD);
            while (System.nanoTime() < deadline) {
                assertEquals(length, from.write(frame, at, length));
                long until = System.nanoTime() + 20_000_000L;
                while (System.nanoTime() < until) {
                    int n = to.read(in, 0, (int) in.byteSize());
                    if (n == Libc.AGAIN) {
                        Libc.pollOne(pollfd, to.fd(), Libc.POLLIN, 5);
                    } else if (n >= frameAt + 14 && Short.toUnsignedInt(in.get(BE_SHORT, frameAt + 12)) == ethertype) {
                        return n;
                    }
                }
            }
        }
        throw new AssertionError("frame never crossed from " + from.name() + " to " + to.name());
    }
}
