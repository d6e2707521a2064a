package dev.tapir.engine.transport.kernel;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tapir.engine.transport.BatchWriter;
import dev.tapir.engine.transport.DatagramBatch;
import dev.tapir.engine.transport.DatagramEndpoint;
import dev.tapir.engine.transport.DatagramOptions;
import dev.tapir.engine.transport.StreamConnection;
import dev.tapir.engine.transport.StreamListener;
import dev.tapir.engine.transport.StreamOptions;
import dev.tapir.engine.transport.TcpStats;
import dev.tapir.nativeio.Errno;
import dev.tapir.nativeio.SyscallException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KernelTransportTest {
    private static final int TIMEOUT = 2000;
    private final KernelTransport transport = new KernelTransport();

    private static InetSocketAddress loopback(String host) throws Exception {
        return new InetSocketAddress(InetAddress.getByName(host), 0);
    }

    private static byte patternByte(long position) {
        return (byte) (position * 31 + (position >>> 8));
    }

    /** What the byte at a stream position must be. */
    @FunctionalInterface
    private interface StreamPattern {
        byte at(long position);
    }

    /**
     * Reads {@code connection} to its end in reads of up to {@code readSize}, checking every byte against
     * {@code expected}; returns the bytes read. A read that times out fails the test (the sender never pauses).
     */
    private static long readToEnd(StreamConnection connection, int readSize, StreamPattern expected)
            throws Exception {
        long received = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(readSize);
            while (true) {
                int n = connection.read(in, 0, readSize, TIMEOUT);
                if (n == StreamConnection.EOF) {
                    return received;
                }
                assertTrue(n > 0, "no read may time out while the sender is busy");
                for (int i = 0; i < n; i++) {
                    if (in.get(JAVA_BYTE, i) != expected.at(received + i)) {
                        throw new AssertionError("byte " + (received + i) + " differs");
                    }
                }
                received += n;
            }
        }
    }

    /** Streams {@code total} bytes in writes of {@code writeSize} and checks every byte and the EOF on the far side. */
    @ParameterizedTest
    @CsvSource({"127.0.0.1, 64, 64000", "127.0.0.1, 1460, 1460000", "127.0.0.1, 131072, 4194304",
            "::1, 1460, 1460000"})
    void tcpTransferDeliversExactBytes(String host, int writeSize, long total) throws Exception {
        try (StreamListener listener = transport.listen(loopback(host), StreamOptions.DEFAULT);
                StreamConnection client = transport.connect(listener.localAddress(), null, StreamOptions.DEFAULT,
                        TIMEOUT);
                StreamConnection server = listener.accept(TIMEOUT)) {
            assertNotNull(server);
            assertEquals(client.localAddress(), server.remoteAddress());
            assertEquals(listener.localAddress(), client.remoteAddress());
            CompletableFuture<Long> sender = CompletableFuture.supplyAsync(() -> {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment out = arena.allocate(writeSize);
                    long written = 0;
                    while (written < total) {
                        int length = (int) Math.min(writeSize, total - written);
                        for (int i = 0; i < length; i++) {
                            out.set(JAVA_BYTE, i, patternByte(written + i));
                        }
                        int at = 0;
                        while (at < length) {
                            at += client.write(out, at, length - at, TIMEOUT);
                        }
                        written += length;
                    }
                    client.shutdownOutput();
                    return written;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            long received = readToEnd(server, 65536, KernelTransportTest::patternByte);
            assertEquals(total, sender.get(10, TimeUnit.SECONDS));
            assertEquals(total, received);
        }
    }

    /**
     * A batch writer's slices arrive whole and in order, with io_uring and without, while small buffers (-w 16K) keep
     * cutting batches short: every call's count resumes exactly where the stream stopped.
     */
    @ParameterizedTest(name = "io_uring {0}")
    @CsvSource({"true", "false"})
    void batchWriterSlicesArriveInOrderWithoutGaps(boolean ioUring) throws Exception {
        KernelTransport batching = new KernelTransport(ioUring);
        StreamOptions small = new StreamOptions(16 * 1024, 0, false, null);
        int slice = 700;
        int slices = 32;
        long total = 8L << 20;
        try (StreamListener listener = batching.listen(loopback("127.0.0.1"), small);
                StreamConnection client = batching.connect(listener.localAddress(), null, small, TIMEOUT);
                StreamConnection server = listener.accept(TIMEOUT)) {
            assertNotNull(server);
            CompletableFuture<long[]> sender = CompletableFuture.supplyAsync(() -> {
                // 251-periodic bytes: slice i of a call starts at phase (sent + i * slice) % 251 of this buffer.
                try (Arena arena = Arena.ofConfined();
                        BatchWriter writer = client.batchWriter()) {
                    MemorySegment pattern = arena.allocate(251 + (long) slice * slices);
                    for (int i = 0; i < pattern.byteSize(); i++) {
                        pattern.set(JAVA_BYTE, i, (byte) (i % 251));
                    }
                    long[] offsets = new long[slices];
                    int[] lengths = new int[slices];
                    long sent = 0;
                    long shortCalls = 0;
                    while (sent < total) {
                        for (int i = 0; i < slices; i++) {
                            offsets[i] = sent % 251 + (long) i * slice;
                            lengths[i] = slice;
                        }
                        int n = writer.writeEach(pattern, offsets, lengths, slices, TIMEOUT);
                        assertTrue(n > 0, "room within the timeout");
                        shortCalls += n < slice * slices ? 1 : 0;
                        sent += n;
                    }
                    client.shutdownOutput();
                    return new long[] {sent, shortCalls};
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            long received = readToEnd(server, 3000, position -> (byte) (position % 251));
            long[] sent = sender.get(30, TimeUnit.SECONDS);
            assertEquals(sent[0], received);
            assertTrue(received >= total);
            assertTrue(sent[1] > 0, "the small buffers cut some calls short");
        }
    }

    /**
     * Without -w a datagram socket asks for {@link KernelTransport#DEFAULT_DATAGRAM_RECEIVE_BUFFER}: all of it as root
     * (SO_RCVBUFFORCE), net.core.rmem_max otherwise; with -w what was asked, up to rmem_max. The kernel doubles each.
     */
    @Test
    void datagramReceiveBufferIsLargeByDefaultAndFollowsW() throws Exception {
        long rmemMax = Long.parseLong(Files.readAllLines(Path.of("/proc/sys/net/core/rmem_max")).get(0).strip());
        boolean privileged = "root".equals(System.getProperty("user.name"));
        long wanted = KernelTransport.DEFAULT_DATAGRAM_RECEIVE_BUFFER;
        try (KernelDatagramEndpoint byDefault = (KernelDatagramEndpoint) transport.bindDatagram(
                loopback("127.0.0.1"), DatagramOptions.DEFAULT);
                KernelDatagramEndpoint withW = (KernelDatagramEndpoint) transport.bindDatagram(
                        loopback("127.0.0.1"), new DatagramOptions(256 * 1024, true))) {
            assertEquals(2 * (privileged ? wanted : Math.min(wanted, rmemMax)), byDefault.receiveBufferBytes());
            assertEquals(2 * Math.min(256 * 1024, rmemMax), withW.receiveBufferBytes());
        }
    }

    @Test
    void readTimesOutWithZeroThenSeesEofAfterShutdownOutput() throws Exception {
        try (StreamListener listener = transport.listen(loopback("127.0.0.1"), StreamOptions.DEFAULT);
                StreamConnection client = transport.connect(listener.localAddress(), null, StreamOptions.DEFAULT,
                        TIMEOUT);
                StreamConnection server = listener.accept(TIMEOUT);
                Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(100);
            long start = System.nanoTime();
            assertEquals(0, server.read(buf, 0, 100, 50));
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(40), "waited for the timeout");
            buf.set(JAVA_BYTE, 0, (byte) 42);
            assertEquals(1, client.write(buf, 0, 1, TIMEOUT));
            client.shutdownOutput();
            assertEquals(1, server.read(buf, 10, 90, TIMEOUT));
            assertEquals(42, buf.get(JAVA_BYTE, 10));
            assertEquals(StreamConnection.EOF, server.read(buf, 0, 100, TIMEOUT));
            // the other direction stays open after a half close
            assertEquals(1, server.write(buf, 10, 1, TIMEOUT));
            assertEquals(1, client.read(buf, 50, 50, TIMEOUT));
            assertEquals(42, buf.get(JAVA_BYTE, 50));
        }
    }

    @Test
    void aReaderWaitingForMoreIsNotWokenByLessButStillReadsIt() throws Exception {
        try (StreamListener listener = transport.listen(loopback("127.0.0.1"), StreamOptions.DEFAULT);
                StreamConnection client = transport.connect(listener.localAddress(), null, StreamOptions.DEFAULT,
                        TIMEOUT);
                StreamConnection server = listener.accept(TIMEOUT);
                Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(8192);
            server.wakeReaderAt(4096);
            MemorySegment small = Arena.ofAuto().allocate(100); // written on another thread
            int[] written = new int[1];
            Thread writer = Thread.ofPlatform().start(() -> {
                try {
                    Thread.sleep(30);
                    written[0] = client.write(small, 0, 100, TIMEOUT);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            // 100 bytes arrive during the wait but do not end it: the wait times out
            assertEquals(0, server.read(buf, 0, 8192, 300));
            writer.join();
            assertEquals(100, written[0]);
            // the next read takes them all the same
            assertEquals(100, server.read(buf, 0, 8192, TIMEOUT));
            // 4096 bytes or more wake the reader; end of stream does too
            assertEquals(4096, client.write(buf, 0, 4096, TIMEOUT));
            int got = 0;
            while (got < 4096) {
                int n = server.read(buf, 0, 8192, TIMEOUT);
                assertTrue(n > 0, "woken by 4096 bytes");
                got += n;
            }
            client.shutdownOutput();
            assertEquals(StreamConnection.EOF, server.read(buf, 0, 8192, TIMEOUT));
        }
    }

    @Test
    void acceptTimesOutWithNull() throws Exception {
        try (StreamListener listener = transport.listen(loopback("127.0.0.1"), StreamOptions.DEFAULT)) {
            assertNull(listener.accept(30));
        }
    }

    @Test
    void connectToClosedPortIsRefused() throws Exception {
        InetSocketAddress closed;
        try (StreamListener listener = transport.listen(loopback("127.0.0.1"), StreamOptions.DEFAULT)) {
            closed = listener.localAddress();
        }
        SyscallException e = assertThrows(SyscallException.class,
                () -> transport.connect(closed, null, StreamOptions.DEFAULT, TIMEOUT));
        assertEquals("connect", e.call());
        assertEquals(Errno.ECONNREFUSED, e.errno());
        assertEquals("ECONNREFUSED", e.errnoName());
    }

    @Test
    void stampedDatagramsCarryTheKernelsReceiveTimeAndTheirSender() throws Exception {
        // one datagram per slot, and coalesced (GRO) receives, where one stamp covers the datagrams glued together
        for (boolean coalesced : new boolean[] {false, true}) {
            try (DatagramEndpoint receiver = transport.bindDatagram(loopback("127.0.0.1"),
                    new DatagramOptions(8 << 20, coalesced));
                    DatagramEndpoint sender = transport.bindDatagram(loopback("127.0.0.1"),
                            new DatagramOptions(0, coalesced));
                    DatagramEndpoint unstamped = transport.bindDatagram(loopback("127.0.0.1"), DatagramOptions.DEFAULT);
                    Arena arena = Arena.ofConfined()) {
                receiver.stampArrivals();
                sender.connect(receiver.localAddress());
                DatagramBatch in = new DatagramBatch(arena.allocate(8 * 65_536, 8), 512, 2_048);
                MemorySegment out = arena.allocate(64 * 1_000);
                long before = epochMicros();
                assertEquals(64, sender.send(out, 0, 1_000, 64));
                int received = 0;
                while (received < 64) {
                    int n = receiver.receive(in, TIMEOUT);
                    assertTrue(n > 0, "all 64 arrived");
                    long after = epochMicros();
                    for (int d = 0; d < n; d++) {
                        long stamp = in.arrivalEpochMicros(d);
                        assertTrue(stamp >= before - 1_000 && stamp <= after + 1_000,
                                "coalesced " + coalesced + ": " + stamp + " not in [" + before + ", " + after + "]");
                        assertEquals(sender.localAddress(), in.source(d));
                    }
                    received += n;
                }
                sender.connect(unstamped.localAddress());
                assertEquals(1, sender.send(out, 0, 1_000, 1));
                assertEquals(1, unstamped.receive(in, TIMEOUT));
                assertEquals(0, in.arrivalEpochMicros(0), "not asked for: no stamp");
                assertEquals(sender.localAddress(), in.source(0));
            }
        }
    }

    private static long epochMicros() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    @Test
    void sendAtOnceTurnsNagleOff() throws Exception {
        try (StreamListener listener = transport.listen(loopback("127.0.0.1"), StreamOptions.DEFAULT);
                StreamConnection client = transport.connect(listener.localAddress(), null, StreamOptions.DEFAULT,
                        TIMEOUT);
                StreamConnection server = listener.accept(TIMEOUT)) {
            KernelStreamConnection accepted = (KernelStreamConnection) server;
            assertFalse(accepted.sendsAtOnce(), "Nagle is on by default, as for iperf3's data streams");
            server.sendAtOnce();
            assertTrue(accepted.sendsAtOnce());
            assertFalse(((KernelStreamConnection) client).sendsAtOnce());
            client.sendAtOnce();
            assertTrue(((KernelStreamConnection) client).sendsAtOnce());
        }
    }

    @Test
    void streamOptionsReachTheSocketAndTcpStatsReportThem() throws Exception {
        StreamOptions options = new StreamOptions(256 * 1024, 1000, true, "reno");
        try (StreamListener listener = transport.listen(loopback("127.0.0.1"), options);
                StreamConnection client = transport.connect(listener.localAddress(), null, options, TIMEOUT);
                StreamConnection server = listener.accept(TIMEOUT);
                Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(10_000);
            assertEquals(10_000, client.write(buf, 0, 10_000, TIMEOUT));
            int got = 0;
            while (got < 10_000) {
                got += server.read(buf, 0, 10_000, TIMEOUT);
            }
            TcpStats stats = new TcpStats();
            assertTrue(client.tcpStats(stats));
            assertEquals("reno", stats.congestion);
            assertTrue(stats.sendMss > 0 && stats.sendMss <= 1000, "mss " + stats.sendMss);
            assertTrue(stats.congestionWindowBytes >= stats.sendMss);
            assertEquals(0, stats.retransmits);
            assertTrue(stats.rttMicros > 0);
            assertTrue(stats.pathMtu > stats.sendMss);
            assertTrue(server.tcpStats(stats));
            assertEquals("reno", stats.congestion);
        }
        try (StreamListener listener = transport.listen(loopback("::1"), StreamOptions.DEFAULT);
                StreamConnection client = transport.connect(listener.localAddress(), null, StreamOptions.DEFAULT,
                        TIMEOUT)) {
            TcpStats stats = new TcpStats();
            assertTrue(client.tcpStats(stats));
            assertEquals(Files.readString(Path.of("/proc/sys/net/ipv4/tcp_congestion_control")).trim(),
                    stats.congestion);
        }
    }

    private static void writeDatagram(MemorySegment out, long at, int index, int length) {
        out.set(JAVA_INT.withByteAlignment(1), at, index);
        for (int i = 4; i < length; i++) {
            out.set(JAVA_BYTE, at + i, (byte) (index + i));
        }
    }

    /**
     * Sends {@code total} datagrams of {@code length} bytes through the seam in the sender's preferred batches and
     * checks that each arrives once, in order, with its length and contents; returns the receive calls used.
     */
    private int udpTransfer(String host, boolean senderOffload, boolean receiverOffload, int length, int total,
            int batchCapacity, long batchBytes) throws Exception {
        DatagramOptions receiverOptions = new DatagramOptions(8 << 20, receiverOffload);
        try (DatagramEndpoint receiver = transport.bindDatagram(loopback(host), receiverOptions);
                DatagramEndpoint sender = transport.bindDatagram(loopback(host),
                        new DatagramOptions(0, senderOffload));
                Arena arena = Arena.ofConfined()) {
            sender.connect(receiver.localAddress());
            assertEquals(senderOffload, ((KernelDatagramEndpoint) sender).segmentationOffloadActive());
            DatagramBatch in = new DatagramBatch(arena.allocate(batchBytes, 8), batchCapacity);
            // a receiver is waiting before data comes (as in a test), so the kernel queues what arrives as the
            // batch allows: coalesced when it has room for GRO, one datagram per entry otherwise
            assertEquals(0, receiver.receive(in, 1));
            int batch = sender.preferredBatch();
            MemorySegment out = arena.allocate((long) batch * length);
            int sent = 0;
            while (sent < total) {
                int count = Math.min(batch, total - sent);
                for (int i = 0; i < count; i++) {
                    writeDatagram(out, (long) i * length, sent + i, length);
                }
                int n = sender.send(out, 0, length, count);
                assertEquals(count, n, "loopback with an 8 MiB receive buffer has room for every datagram");
                sent += n;
            }
            int received = 0;
            int calls = 0;
            while (received < total) {
                int n = receiver.receive(in, TIMEOUT);
                assertTrue(n > 0, "datagram " + received + " of " + total + " arrived within the timeout");
                assertEquals(n, in.count());
                calls++;
                for (int d = 0; d < n; d++) {
                    long at = in.offset(d);
                    assertEquals(length, in.length(d));
                    assertEquals(received, in.buffer().get(JAVA_INT.withByteAlignment(1), at), "sequence");
                    for (int i = 4; i < length; i++) {
                        if (in.buffer().get(JAVA_BYTE, at + i) != (byte) (received + i)) {
                            throw new AssertionError("datagram " + received + " byte " + i + " differs");
                        }
                    }
                    received++;
                }
            }
            assertEquals(total, received);
            assertEquals(0, receiver.receive(in, 20), "nothing beyond what was sent");
            assertEquals(sender.localAddress(), receiver.lastSource());
            return calls;
        }
    }

    @Test
    void udpWithGsoAndGroDeliversExactDatagramsCoalesced() throws Exception {
        int calls = udpTransfer("127.0.0.1", true, true, 1470, 400, 256, 4L << 16);
        assertTrue(calls < 400 / 4, "GRO coalesced receives: " + calls + " calls");
    }

    @Test
    void udpGroReceiverTakesSeveralCoalescedMessagesPerCall() throws Exception {
        // 2000 datagrams of 64 B leave as 32 GSO sends; room for 8 coalesced messages lets one call take several
        int calls = udpTransfer("127.0.0.1", true, true, 64, 2000, 512, 8L << 16);
        assertTrue(calls <= 16, "recvmmsg of coalesced messages: " + calls + " calls for 32 messages");
    }

    @Test
    void udpWithGsoToReceiverWithoutGroDeliversExactDatagrams() throws Exception {
        udpTransfer("127.0.0.1", true, false, 1470, 400, 64, 64 * 2048);
    }

    @Test
    void udpWithSendmmsgAndRecvmmsgDeliversExactDatagrams() throws Exception {
        udpTransfer("127.0.0.1", false, false, 1470, 400, 64, 64 * 2048);
    }

    @Test
    void udpGroReceiverWithSmallBatchFallsBackToOneDatagramPerSlot() throws Exception {
        udpTransfer("127.0.0.1", true, true, 100, 300, 16, 16 * 128);
    }

    @Test
    void udpOverIpv6WithAndWithoutOffload() throws Exception {
        udpTransfer("::1", true, true, 1200, 200, 128, 2L << 16);
        udpTransfer("::1", false, false, 1200, 200, 32, 32 * 2048);
    }

    @Test
    void udpSenderSurvivesPortUnreachable() throws Exception {
        InetSocketAddress closed;
        try (DatagramEndpoint gone = transport.bindDatagram(loopback("127.0.0.1"), DatagramOptions.DEFAULT)) {
            closed = gone.localAddress();
        }
        try (KernelDatagramEndpoint sender = (KernelDatagramEndpoint) transport.bindDatagram(loopback("127.0.0.1"),
                DatagramOptions.DEFAULT); Arena arena = Arena.ofConfined()) {
            sender.connect(closed);
            MemorySegment out = arena.allocate(4 * 500);
            int attempts = 0;
            while (sender.refusedSends() == 0 && attempts < 100) {
                sender.send(out, 0, 500, 4);
                attempts++;
                Thread.sleep(5);
            }
            assertTrue(sender.refusedSends() > 0, "the ICMP port unreachable was seen and counted");
            assertEquals(sender.segmentationOffloadActive(), sender.preferredBatch() == 64);
        }
    }

    @Test
    void sendToAnswersAnUnconnectedPeer() throws Exception {
        try (DatagramEndpoint server = transport.bindDatagram(loopback("127.0.0.1"), DatagramOptions.DEFAULT);
                DatagramEndpoint client = transport.bindDatagram(loopback("127.0.0.1"), DatagramOptions.DEFAULT);
                Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(64);
            writeDatagram(buf, 0, 7, 64);
            client.sendTo(buf, 0, 64, server.localAddress());
            DatagramBatch in = new DatagramBatch(arena.allocate(8 * 2048), 8);
            assertEquals(1, server.receive(in, TIMEOUT));
            assertEquals(64, in.length(0));
            assertEquals(client.localAddress(), server.lastSource());
            server.sendTo(in.buffer(), in.offset(0), 64, server.lastSource());
            assertEquals(1, client.receive(in, TIMEOUT));
            assertEquals(7, in.buffer().get(JAVA_INT.withByteAlignment(1), in.offset(0)));
        }
    }
}
