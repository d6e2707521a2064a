package dev.tapir.nativeio;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class SocketsTest {
    private static final InetSocketAddress V4_ANY_PORT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private static InetSocketAddress v6Loopback() throws Exception {
        return new InetSocketAddress(InetAddress.getByName("::1"), 0);
    }

    private static void fill(MemorySegment seg, long offset, int length, int seed) {
        for (int i = 0; i < length; i++) {
            seg.set(JAVA_BYTE, offset + i, (byte) (seed + i * 7));
        }
    }

    private static void assertPattern(MemorySegment seg, long offset, int length, int seed) {
        for (int i = 0; i < length; i++) {
            assertEquals((byte) (seed + i * 7), seg.get(JAVA_BYTE, offset + i), "byte " + i);
        }
    }

    /** A listener on {@code local}; returns its descriptor. */
    private static int listener(InetSocketAddress local) throws SyscallException {
        int fd = Sockets.socket(SockAddr.family(local), Sockets.SOCK_STREAM, 0);
        Sockets.setsockopt(fd, Sockets.SOL_SOCKET, Sockets.SO_REUSEADDR, 1);
        Sockets.bind(fd, local);
        Sockets.listen(fd, 16);
        return fd;
    }

    private static int udpSocket(InetSocketAddress local) throws SyscallException {
        int fd = Sockets.socket(SockAddr.family(local), Sockets.SOCK_DGRAM | Sockets.SOCK_NONBLOCK, 0);
        Sockets.bind(fd, local);
        return fd;
    }

    private void tcpRoundTrip(InetSocketAddress bindAt) throws Exception {
        int server = listener(bindAt);
        InetSocketAddress at = Sockets.localAddress(server);
        assertNotEquals(0, at.getPort());
        int client = Sockets.socket(SockAddr.family(at), Sockets.SOCK_STREAM, 0);
        try (Arena arena = Arena.ofConfined()) {
            Sockets.connect(client, at, 2000);
            MemorySegment peer = arena.allocate(SockAddr.SOCKADDR_STORAGE);
            MemorySegment peerLength = arena.allocateFrom(JAVA_INT, (int) peer.byteSize());
            int accepted = Sockets.accept(server, peer, peerLength, 0);
            assertTrue(accepted >= 0);
            assertEquals(SockAddr.length(SockAddr.family(at)), peerLength.get(JAVA_INT, 0));
            assertEquals(Sockets.localAddress(client), SockAddr.read(peer));
            assertEquals(at, Sockets.remoteAddress(client));

            MemorySegment out = arena.allocate(1000);
            fill(out, 0, 1000, 3);
            assertEquals(1000, Sockets.send(client, out, 0, 1000, Sockets.MSG_NOSIGNAL));
            MemorySegment in = arena.allocate(1000);
            int got = 0;
            MemorySegment pollfd = arena.allocate(Libc.POLLFD);
            while (got < 1000) {
                assertTrue(Libc.pollOne(pollfd, accepted, Libc.POLLIN, 2000) != 0, "data within 2 s");
                int n = Sockets.recv(accepted, in, got, 1000 - got, 0);
                assertTrue(n > 0);
                got += n;
            }
            assertPattern(in, 0, 1000, 3);
            Sockets.shutdown(client, Sockets.SHUT_WR);
            assertTrue(Libc.pollOne(pollfd, accepted, Libc.POLLIN, 2000) != 0);
            assertEquals(0, Sockets.recv(accepted, in, 0, 1000, 0), "end of stream after SHUT_WR");
            Sockets.close(accepted);
        } finally {
            Sockets.close(client);
            Sockets.close(server);
        }
    }

    @Test
    void tcpConnectAcceptSendRecvOverIpv4() throws Exception {
        tcpRoundTrip(V4_ANY_PORT);
    }

    @Test
    void tcpConnectAcceptSendRecvOverIpv6() throws Exception {
        tcpRoundTrip(v6Loopback());
    }

    @Test
    void connectToClosedPortIsRefused() throws Exception {
        int probe = listener(V4_ANY_PORT);
        InetSocketAddress closed = Sockets.localAddress(probe);
        Sockets.close(probe);
        int fd = Sockets.socket(SockAddr.AF_INET, Sockets.SOCK_STREAM, 0);
        try {
            SyscallException e = assertThrows(SyscallException.class, () -> Sockets.connect(fd, closed, 2000));
            assertEquals("connect", e.call());
            assertEquals(Errno.ECONNREFUSED, e.errno());
            assertEquals("ECONNREFUSED", e.errnoName());
        } finally {
            Sockets.close(fd);
        }
    }

    @Test
    void bindToPortInUseIsEaddrinuse() throws Exception {
        int first = listener(V4_ANY_PORT);
        int second = Sockets.socket(SockAddr.AF_INET, Sockets.SOCK_STREAM, 0);
        try {
            InetSocketAddress taken = Sockets.localAddress(first);
            SyscallException e = assertThrows(SyscallException.class, () -> Sockets.bind(second, taken));
            assertEquals("bind", e.call());
            assertEquals(Errno.EADDRINUSE, e.errno());
        } finally {
            Sockets.close(second);
            Sockets.close(first);
        }
    }

    @Test
    void sendmmsgAndRecvmmsgRoundTripExactDatagrams() throws Exception {
        int receiver = udpSocket(V4_ANY_PORT);
        int sender = udpSocket(V4_ANY_PORT);
        int count = 8;
        try (Arena arena = Arena.ofConfined()) {
            Sockets.connect(sender, Sockets.localAddress(receiver), 1000);
            MemorySegment data = arena.allocate(count * 300L);
            MemorySegment iovs = arena.allocate(MsgHdr.IOVEC, count);
            MemorySegment msgs = arena.allocate(MsgHdr.MMSGHDR, count);
            for (int i = 0; i < count; i++) {
                int length = 100 + i * 20;
                fill(data, i * 300L, length, i);
                MsgHdr.iovec(iovs, i * MsgHdr.IOVEC.byteSize(), data.asSlice(i * 300L, length), length);
                MsgHdr.msghdr(msgs, i * MsgHdr.MMSGHDR.byteSize(), MemorySegment.NULL, 0,
                        iovs.asSlice(i * MsgHdr.IOVEC.byteSize()), 1, MemorySegment.NULL, 0);
            }
            assertEquals(count, Sockets.sendmmsg(sender, msgs, count, 0));
            assertEquals(140, MsgHdr.messageLength(msgs, 2 * MsgHdr.MMSGHDR.byteSize()));

            MemorySegment in = arena.allocate(count * 512L);
            MemorySegment names = arena.allocate(SockAddr.SOCKADDR_STORAGE, count);
            for (int i = 0; i < count; i++) {
                MsgHdr.iovec(iovs, i * MsgHdr.IOVEC.byteSize(), in.asSlice(i * 512L, 512), 512);
                MsgHdr.msghdr(msgs, i * MsgHdr.MMSGHDR.byteSize(), names.asSlice(i * 128L, 128), 128,
                        iovs.asSlice(i * MsgHdr.IOVEC.byteSize()), 1, MemorySegment.NULL, 0);
            }
            MemorySegment pollfd = arena.allocate(Libc.POLLFD);
            int received = 0;
            while (received < count) {
                assertTrue(Libc.pollOne(pollfd, receiver, Libc.POLLIN, 2000) != 0, "datagrams within 2 s");
                int n = Sockets.recvmmsg(receiver, msgs.asSlice(received * MsgHdr.MMSGHDR.byteSize()),
                        count - received, 0);
                assertTrue(n > 0);
                received += n;
            }
            for (int i = 0; i < count; i++) {
                int length = 100 + i * 20;
                assertEquals(length, MsgHdr.messageLength(msgs, i * MsgHdr.MMSGHDR.byteSize()));
                assertPattern(in, i * 512L, length, i);
                assertEquals(Sockets.localAddress(sender), SockAddr.read(names.asSlice(i * 128L)));
            }
            assertEquals(Libc.AGAIN, Sockets.recvmmsg(receiver, msgs, count, 0), "nothing more queued");
        } finally {
            Sockets.close(sender);
            Sockets.close(receiver);
        }
    }

    @Test
    void messageStructuresFilledFromSegmentAndOffsetCarryTheSameDatagrams() throws Exception {
        int receiver = udpSocket(V4_ANY_PORT);
        int sender = udpSocket(V4_ANY_PORT);
        int count = 4;
        try (Arena arena = Arena.ofConfined()) {
            Sockets.connect(sender, Sockets.localAddress(receiver), 1000);
            MemorySegment data = arena.allocate(count * 300L);
            MemorySegment iovs = arena.allocate(MsgHdr.IOVEC, count);
            MemorySegment msgs = arena.allocate(MsgHdr.MMSGHDR, count);
            long iov = MsgHdr.IOVEC.byteSize();
            long mmsg = MsgHdr.MMSGHDR.byteSize();
            for (int i = 0; i < count; i++) {
                fill(data, i * 300L, 200 + i, i);
                MsgHdr.iovec(iovs, i * iov, data, i * 300L, 200 + i);
                MsgHdr.msghdr(msgs, i * mmsg, MemorySegment.NULL, 0, 0, iovs, i * iov, 1, MemorySegment.NULL, 0, 0);
            }
            assertEquals(count, Sockets.sendmmsg(sender, msgs, count, 0));

            MemorySegment in = arena.allocate(count * 512L);
            MemorySegment names = arena.allocate(SockAddr.SOCKADDR_STORAGE, count);
            long name = SockAddr.SOCKADDR_STORAGE.byteSize();
            for (int i = 0; i < count; i++) {
                MsgHdr.iovec(iovs, i * iov, in, i * 512L, 512);
                MsgHdr.msghdr(msgs, i * mmsg, names, i * name, (int) name, iovs, i * iov, 1, MemorySegment.NULL, 0, 0);
            }
            MemorySegment pollfd = arena.allocate(Libc.POLLFD);
            int received = 0;
            while (received < count) {
                assertTrue(Libc.pollOne(pollfd, receiver, Libc.POLLIN, 2000) != 0, "datagrams within 2 s");
                int n = Sockets.recvmmsg(receiver, msgs.asSlice(received * mmsg), count - received, 0);
                assertTrue(n > 0);
                received += n;
            }
            for (int i = 0; i < count; i++) {
                assertEquals(200 + i, MsgHdr.messageLength(msgs, i * mmsg));
                assertPattern(in, i * 512L, 200 + i, i);
                assertEquals(Sockets.localAddress(sender), SockAddr.read(names.asSlice(i * name, name)));
            }
            // a region past the segment's end, or heap memory, never reaches the kernel
            assertThrows(IndexOutOfBoundsException.class, () -> MsgHdr.iovec(iovs, 0, in, count * 512L - 100, 512));
            assertThrows(IllegalArgumentException.class,
                    () -> MsgHdr.iovec(iovs, 0, MemorySegment.ofArray(new byte[64]), 0, 64));
        } finally {
            Sockets.close(sender);
            Sockets.close(receiver);
        }
    }

    /** Sends {@code segments} datagrams of {@code size} bytes in one sendmsg with a UDP_SEGMENT control message. */
    private void gsoSendReceive(boolean gro) throws Exception {
        int size = 1200;
        int segments = 10;
        int receiver = udpSocket(V4_ANY_PORT);
        int sender = udpSocket(V4_ANY_PORT);
        try (Arena arena = Arena.ofConfined()) {
            Sockets.setsockopt(receiver, Sockets.SOL_SOCKET, Sockets.SO_RCVBUF, 1 << 20);
            if (gro) {
                Sockets.setsockopt(receiver, Sockets.SOL_UDP, Sockets.UDP_GRO, 1);
            }
            Sockets.connect(sender, Sockets.localAddress(receiver), 1000);
            MemorySegment data = arena.allocate((long) size * segments);
            for (int i = 0; i < segments; i++) {
                fill(data, (long) i * size, size, 11 * i);
            }
            MemorySegment iov = arena.allocate(MsgHdr.IOVEC);
            MsgHdr.iovec(iov, 0, data, data.byteSize());
            MemorySegment control = arena.allocate(MsgHdr.cmsgSpace(Short.BYTES), 8);
            MsgHdr.cmsgHeader(control, 0, Sockets.SOL_UDP, Sockets.UDP_SEGMENT, Short.BYTES);
            control.set(JAVA_SHORT, MsgHdr.CMSG_DATA, (short) size);
            MemorySegment msg = arena.allocate(MsgHdr.MSGHDR);
            MsgHdr.msghdr(msg, 0, MemorySegment.NULL, 0, iov, 1, control, control.byteSize());
            assertEquals(size * segments, Sockets.sendmsg(sender, msg, 0));

            MemorySegment in = arena.allocate(65536);
            MemorySegment inControl = arena.allocate(64, 8);
            MemorySegment pollfd = arena.allocate(Libc.POLLFD);
            int datagrams = 0;
            long bytes = 0;
            int receives = 0;
            while (datagrams < segments) {
                assertTrue(Libc.pollOne(pollfd, receiver, Libc.POLLIN, 2000) != 0, "datagrams within 2 s");
                MsgHdr.iovec(iov, 0, in, in.byteSize());
                MsgHdr.msghdr(msg, 0, MemorySegment.NULL, 0, iov, 1, inControl, inControl.byteSize());
                int n = Sockets.recvmsg(receiver, msg, 0);
                assertTrue(n > 0);
                receives++;
                long gsoAt = MsgHdr.findCmsg(inControl, MsgHdr.controlLength(msg, 0), Sockets.SOL_UDP, Sockets.UDP_GRO);
                int segmentSize = gsoAt < 0 ? n : inControl.get(JAVA_INT, gsoAt);
                assertEquals(size, segmentSize);
                for (int off = 0; off < n; off += segmentSize) {
                    assertPattern(in, off, size, 11 * datagrams);
                    datagrams++;
                }
                bytes += n;
            }
            assertEquals(segments, datagrams);
            assertEquals((long) size * segments, bytes);
            if (gro) {
                assertTrue(receives < segments, "GRO delivered coalesced receives: " + receives);
            } else {
                assertEquals(segments, receives, "without GRO each segment is its own datagram");
            }
        } finally {
            Sockets.close(sender);
            Sockets.close(receiver);
        }
    }

    @Test
    void udpGsoSendArrivesAsSeparateDatagramsWithoutGro() throws Exception {
        gsoSendReceive(false);
    }

    @Test
    void udpGsoSendArrivesCoalescedWithGro() throws Exception {
        gsoSendReceive(true);
    }

    @Test
    void socketOptionsReadBack() throws Exception {
        int fd = Sockets.socket(SockAddr.AF_INET6, Sockets.SOCK_STREAM, 0);
        try {
            Sockets.setsockopt(fd, Sockets.SOL_SOCKET, Sockets.SO_SNDBUF, 200_000);
            // the kernel doubles the request to account for its bookkeeping
            assertEquals(400_000, Sockets.getsockoptInt(fd, Sockets.SOL_SOCKET, Sockets.SO_SNDBUF));
            Sockets.setsockopt(fd, Sockets.IPPROTO_TCP, Sockets.TCP_NODELAY, 1);
            assertEquals(1, Sockets.getsockoptInt(fd, Sockets.IPPROTO_TCP, Sockets.TCP_NODELAY));
            Sockets.setsockopt(fd, Sockets.IPPROTO_IPV6, Sockets.IPV6_V6ONLY, 1);
            assertEquals(1, Sockets.getsockoptInt(fd, Sockets.IPPROTO_IPV6, Sockets.IPV6_V6ONLY));
            Sockets.setsockoptTimeval(fd, Sockets.SO_RCVTIMEO, 1500);
            assertEquals(1500, Sockets.getsockoptTimeval(fd, Sockets.SO_RCVTIMEO));
            String expected = Files.readString(Path.of("/proc/sys/net/ipv4/tcp_congestion_control")).trim();
            assertEquals(expected, Sockets.getsockoptString(fd, Sockets.IPPROTO_TCP, Sockets.TCP_CONGESTION,
                    Sockets.TCP_CA_NAME_MAX));
            Sockets.setsockopt(fd, Sockets.IPPROTO_TCP, Sockets.TCP_CONGESTION, "reno");
            assertEquals("reno", Sockets.getsockoptString(fd, Sockets.IPPROTO_TCP, Sockets.TCP_CONGESTION,
                    Sockets.TCP_CA_NAME_MAX));
            SyscallException e = assertThrows(SyscallException.class,
                    () -> Sockets.setsockopt(fd, Sockets.IPPROTO_TCP, Sockets.TCP_CONGESTION, "no-such-cc"));
            assertEquals("setsockopt", e.call());
            assertEquals(Errno.ENOENT, e.errno());
        } finally {
            Sockets.close(fd);
        }
    }

    @Test
    void tcpInfoOfConnectedSocketIsSane() throws Exception {
        int server = listener(V4_ANY_PORT);
        int client = Sockets.socket(SockAddr.AF_INET, Sockets.SOCK_STREAM, 0);
        try (Arena arena = Arena.ofConfined()) {
            Sockets.setsockopt(client, Sockets.IPPROTO_TCP, Sockets.TCP_MAXSEG, 1000);
            Sockets.connect(client, Sockets.localAddress(server), 2000);
            int accepted = Sockets.accept(server, MemorySegment.NULL, MemorySegment.NULL, 0);
            MemorySegment out = arena.allocate(50_000);
            int sent = Sockets.send(client, out, 0, 50_000, Sockets.MSG_NOSIGNAL);
            assertTrue(sent > 0);
            MemorySegment in = arena.allocate(65536);
            MemorySegment pollfd = arena.allocate(Libc.POLLFD);
            int got = 0;
            while (got < sent) {
                assertTrue(Libc.pollOne(pollfd, accepted, Libc.POLLIN, 2000) != 0);
                got += Sockets.recv(accepted, in, 0, 65536, 0);
            }
            MemorySegment info = arena.allocate(TcpInfo.LAYOUT);
            MemorySegment length = arena.allocateFrom(JAVA_INT, (int) TcpInfo.LAYOUT.byteSize());
            assertEquals(TcpInfo.LAYOUT.byteSize(),
                    Sockets.getsockopt(client, Sockets.IPPROTO_TCP, Sockets.TCP_INFO, info, length));
            assertEquals(TcpInfo.TCP_ESTABLISHED, TcpInfo.u8(TcpInfo.STATE, info));
            long mss = TcpInfo.u32(TcpInfo.SND_MSS, info);
            assertTrue(mss > 0 && mss <= 1000, "snd_mss " + mss);
            assertTrue(TcpInfo.u32(TcpInfo.SND_CWND, info) >= 1);
            assertTrue(TcpInfo.u32(TcpInfo.RTO, info) >= 200_000, "rto at least the 200 ms floor");
            long pmtu = TcpInfo.u32(TcpInfo.PMTU, info);
            assertTrue(pmtu >= mss + 40 && pmtu <= 65535, "pmtu " + pmtu);
            assertTrue(TcpInfo.u32(TcpInfo.RTT, info) > 0);
            assertEquals(0, TcpInfo.u32(TcpInfo.TOTAL_RETRANS, info));
            assertEquals(sent, TcpInfo.u64(TcpInfo.BYTES_SENT, info));
            long acked = TcpInfo.u64(TcpInfo.BYTES_ACKED, info);
            assertTrue(acked <= sent + 1L, "bytes_acked " + acked + " of " + sent + " (+1 for the SYN)");
            assertEquals(sent, TcpInfo.u64(TcpInfo.BYTES_RECEIVED, infoOf(accepted, info, length)));
            Sockets.close(accepted);
        } finally {
            Sockets.close(client);
            Sockets.close(server);
        }
    }

    private static MemorySegment infoOf(int fd, MemorySegment info, MemorySegment length) throws SyscallException {
        length.set(JAVA_INT, 0, (int) info.byteSize());
        Sockets.getsockopt(fd, Sockets.IPPROTO_TCP, Sockets.TCP_INFO, info, length);
        return info;
    }

    @Test
    void sockaddrRoundTrips() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = arena.allocate(SockAddr.SOCKADDR_STORAGE);
            InetSocketAddress v4 = new InetSocketAddress(InetAddress.getByName("127.1.2.3"), 5201);
            assertEquals(16, SockAddr.write(sa, v4));
            assertEquals(0x14, sa.get(JAVA_BYTE, 2), "port high byte first");
            assertEquals(0x51, sa.get(JAVA_BYTE, 3));
            assertEquals(127, sa.get(JAVA_BYTE, 4));
            assertEquals(v4, SockAddr.read(sa));
            InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("::1"), 65535);
            assertEquals(28, SockAddr.write(sa, v6));
            assertEquals(SockAddr.AF_INET6, SockAddr.familyOf(sa));
            assertEquals(1, sa.get(JAVA_BYTE, 23));
            assertEquals(v6, SockAddr.read(sa));
            assertFalse(SockAddr.read(sa).getAddress().isAnyLocalAddress());
        }
    }
}
