package dev.tapir.engine.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tapir.engine.stack.iface.ArpCache;
import dev.tapir.engine.stack.phy.Device;
import dev.tapir.engine.stack.phy.FaultInjector;
import dev.tapir.engine.stack.phy.MemoryLink;
import dev.tapir.engine.stack.stats.StackCounter;
import dev.tapir.engine.stack.tcp.TcpCounters;
import dev.tapir.engine.stack.tcp.UserWakeup;
import dev.tapir.engine.stack.wire.Ipv4Address;
import dev.tapir.engine.transport.DatagramBatch;
import dev.tapir.engine.transport.DatagramEndpoint;
import dev.tapir.engine.transport.DatagramOptions;
import dev.tapir.engine.transport.StreamConnection;
import dev.tapir.engine.transport.StreamListener;
import dev.tapir.engine.transport.StreamOptions;
import dev.tapir.engine.transport.TcpStats;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Two stacks on a memory link, run by a real {@link StackRunner}, used only through the Transport seam. */
class UserspaceTransportTest {
    private static final InetSocketAddress A = new InetSocketAddress(Ipv4Address.toInetAddress(LinkedStacks.ADDRESS_A), 0);
    private static final InetSocketAddress B_5201 =
            new InetSocketAddress(Ipv4Address.toInetAddress(LinkedStacks.ADDRESS_B), 5201);

    private static byte pattern(long position) {
        return (byte) ((position * 2654435761L) >>> 13);
    }

    /** Sends {@code total} pattern bytes from A to B over TCP and checks every byte and the end of stream. */
    private static void transfer(LinkedStacks net, long total) throws Exception {
        try (StackRunner runner = StackRunner.start(net.a, net.b); Arena arena = Arena.ofShared()) {
            UserspaceTransport clientSide = new UserspaceTransport(net.a);
            UserspaceTransport serverSide = new UserspaceTransport(net.b);
            StreamListener listener = serverSide.listen(B_5201, StreamOptions.DEFAULT);
            StreamConnection client = clientSide.connect(B_5201, A, StreamOptions.DEFAULT, 5_000);
            StreamConnection server = listener.accept(5_000);
            assertNotNull(server);
            assertEquals(B_5201, server.localAddress());
            assertEquals(client.localAddress(), server.remoteAddress());

            MemorySegment out = arena.allocate(64 * 1024);
            CompletableFuture<Long> writer = CompletableFuture.supplyAsync(() -> {
                long sent = 0;
                try {
                    while (sent < total) {
                        int chunk = (int) Math.min(out.byteSize(), total - sent);
                        for (int i = 0; i < chunk; i++) {
                            out.set(ValueLayout.JAVA_BYTE, i, pattern(sent + i));
                        }
                        int done = 0;
                        while (done < chunk) {
                            done += client.write(out, done, chunk - done, 10_000);
                        }
                        sent += chunk;
                    }
                    client.shutdownOutput();
                    return sent;
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            MemorySegment in = arena.allocate(50_000);
            long received = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                int n = server.read(in, 0, (int) in.byteSize(), 1_000);
                if (n == StreamConnection.EOF) {
                    break;
                }
                for (int i = 0; i < n; i++) {
                    if (in.get(ValueLayout.JAVA_BYTE, i) != pattern(received + i)) {
                        throw new AssertionError("byte " + (received + i) + " differs");
                    }
                }
                received += n;
            }
            assertEquals(total, writer.get(10, TimeUnit.SECONDS));
            assertEquals(total, received);

            // And back: a short answer from server to client, then both close.
            out.set(ValueLayout.JAVA_INT_UNALIGNED, 0, 0x7a7a7a7a);
            assertEquals(4, server.write(out, 0, 4, 5_000));
            assertEquals(4, client.read(in, 0, 100, 5_000));
            assertEquals(0x7a7a7a7a, in.get(ValueLayout.JAVA_INT_UNALIGNED, 0));
            TcpStats stats = new TcpStats();
            assertTrue(client.tcpStats(stats));
            assertTrue(stats.sendMss > 0 && stats.sendMss <= 1460, "mss " + stats.sendMss);
            server.close();
            client.close();
            listener.close();
            assertNull(runner.failure());
        }
    }

    @Test
    @Timeout(120)
    void tcpTransferThroughTheSeamDeliversExactBytes() throws Exception {
        try (LinkedStacks net = new LinkedStacks()) {
            transfer(net, 16L << 20);
            assertEquals(0, net.b.counters().get(StackCounter.IPV4_BAD_HEADER_CHECKSUM));
            assertTrue(net.b.counters().get(StackCounter.TCP_DELIVERED) > (16 << 20) / 1460);
        }
    }

    /**
     * Calls that wait without a timeout park on the socket's UserWakeup once spinning is over; each is released by
     * what it waits for: a connection to accept, bytes to read, room to write, the end of the stream.
     */
    @Test
    @Timeout(60)
    void waitsWithoutTimeoutParkAndAreReleasedByTheStack() throws Exception {
        try (LinkedStacks net = new LinkedStacks(); StackRunner runner = StackRunner.start(net.a, net.b);
                Arena arena = Arena.ofShared()) {
            UserspaceTransport clientSide = new UserspaceTransport(net.a);
            StreamListener listener = new UserspaceTransport(net.b).listen(B_5201, StreamOptions.DEFAULT);
            Waiting<StreamConnection> accepted = async(() -> listener.accept(-1));
            awaitParked(accepted);
            StreamConnection client = clientSide.connect(B_5201, A, StreamOptions.DEFAULT, 5_000);
            StreamConnection server = accepted.get();
            assertEquals(client.localAddress(), server.remoteAddress());

            MemorySegment in = arena.allocate(8 << 20);
            Waiting<Integer> read = async(() -> server.read(in, 0, 100, -1));
            awaitParked(read);
            MemorySegment out = arena.allocate(8 << 20);
            out.set(ValueLayout.JAVA_BYTE, 0, (byte) 42);
            assertEquals(1, client.write(out, 0, 1, -1));
            assertEquals(1, read.get());
            assertEquals((byte) 42, in.get(ValueLayout.JAVA_BYTE, 0));

            // Fill the send ring and the peer's window, then a write has to wait for the reader to make room.
            long written = 0;
            for (int idle = 0; idle < 20; ) {
                int n = client.write(out, 0, (int) out.byteSize(), 0);
                written += n;
                idle = n > 0 ? 0 : idle + 1;
                if (n == 0) {
                    Thread.sleep(5);
                }
            }
            Waiting<Integer> write = async(() -> client.write(out, 0, 1000, -1));
            awaitParked(write);
            long drained = 0;
            while (drained < written) {
                drained += server.read(in, 0, (int) Math.min(in.byteSize(), written - drained), 10_000);
            }
            assertEquals(1000, write.get());
            assertEquals(1000, server.read(in, 0, 1000, 10_000));

            Waiting<Integer> end = async(() -> server.read(in, 0, 100, -1));
            awaitParked(end);
            client.shutdownOutput();
            assertEquals(StreamConnection.EOF, end.get());
            client.close();
            server.close();
            listener.close();
            assertNull(runner.failure());
        }
    }

    /** A call that may throw. */
    private interface Call<T> {
        T call() throws IOException;
    }

    /** A call running on its own thread. */
    private record Waiting<T>(Thread thread, CompletableFuture<T> result) {
        T get() throws Exception {
            return result.get(10, TimeUnit.SECONDS);
        }
    }

    private static <T> Waiting<T> async(Call<T> call) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread thread = Thread.ofPlatform().daemon().start(() -> {
            try {
                result.complete(call.call());
            } catch (IOException | RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        return new Waiting<>(thread, result);
    }

    /** Returns once {@code call}'s thread is parked on a UserWakeup; fails if the call finished instead. */
    private static void awaitParked(Waiting<?> call) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!call.result().isDone() && System.nanoTime() < deadline) {
            if (LockSupport.getBlocker(call.thread()) instanceof UserWakeup) {
                return;
            }
            Thread.sleep(1);
        }
        assertFalse(call.result().isDone(), "the call should still be waiting");
        throw new AssertionError("the call's thread did not park on a UserWakeup within 10 s");
    }

    /**
     * With checksum offload on the link every TCP segment but the SYN (sent before ARP resolved, so finished in
     * software) crosses with a partial checksum and is taken without a check: no payload is summed at either end.
     */
    @Test
    @Timeout(120)
    void tcpTransferWithChecksumOffloadIsByteExactAndSumsNothing() throws Exception {
        MemoryLink link = new MemoryLink(1500, MemoryLink.DEFAULT_CAPACITY, true);
        try (LinkedStacks net = new LinkedStacks(link, ArpCache.Settings.DEFAULT, UnaryOperator.identity(),
                UnaryOperator.identity())) {
            transfer(net, 8L << 20);
            long segmentsAtB = net.b.tcp().counters().get(TcpCounters.SEGMENTS_IN);
            long segmentsAtA = net.a.tcp().counters().get(TcpCounters.SEGMENTS_IN);
            assertTrue(segmentsAtB > (8 << 20) / 1460, "segments " + segmentsAtB);
            assertEquals(segmentsAtB - 1, link.endB().receivedChecksumPartial(), "all but A's SYN trusted at B");
            assertEquals(segmentsAtA, link.endA().receivedChecksumPartial(), "every segment trusted at A");
            assertEquals(0, net.b.tcp().counters().get(TcpCounters.DROPPED_BAD_CHECKSUM));
        }
    }

    /** Corrupted frames lose the partial-checksum flag, so the TCP checksum catches them: still byte-exact. */
    @Test
    @Timeout(120)
    void tcpTransferWithChecksumOffloadStillRejectsCorruptedFrames() throws Exception {
        List<FaultInjector> injectors = new ArrayList<>();
        UnaryOperator<Device> spoil = d -> {
            FaultInjector injector = new FaultInjector(d, FaultInjector.Options.none(21 + injectors.size())
                    .withCorrupt(1));
            injectors.add(injector);
            return injector;
        };
        MemoryLink link = new MemoryLink(1500, MemoryLink.DEFAULT_CAPACITY, true);
        try (LinkedStacks net = new LinkedStacks(link, ArpCache.Settings.DEFAULT, spoil, spoil)) {
            transfer(net, 4L << 20);
            FaultInjector towardsB = injectors.get(1);
            long corrupted = towardsB.counters().get(FaultInjector.Fault.CORRUPTED);
            assertTrue(corrupted > 10, towardsB.counters().toString());
            long badChecksums = net.b.tcp().counters().get(TcpCounters.DROPPED_BAD_CHECKSUM);
            assertTrue(badChecksums > 0 && badChecksums <= corrupted, badChecksums + " of " + corrupted);
            assertTrue(link.endB().receivedChecksumPartial() > (4 << 20) / 1460);
        }
    }

    /**
     * A sender that closes its connection and at once closes its stack's runner (a client process exiting) still
     * delivers everything it wrote and its FIN: the runner lingers until they are acknowledged.
     */
    @Test
    @Timeout(60)
    void closingTheRunnerRightAfterCloseStillDeliversTheDataAndFin() throws Exception {
        int total = 3 << 20;
        try (LinkedStacks net = new LinkedStacks(); StackRunner serverRunner = StackRunner.start(net.b);
                Arena arena = Arena.ofShared()) {
            StackRunner clientRunner = StackRunner.start(net.a);
            StreamListener listener = new UserspaceTransport(net.b).listen(B_5201, StreamOptions.DEFAULT);
            StreamConnection client = new UserspaceTransport(net.a).connect(B_5201, A, StreamOptions.DEFAULT, 5_000);
            StreamConnection server = listener.accept(5_000);
            assertNotNull(server);
            MemorySegment out = arena.allocate(total);
            int written = 0;
            while (written < total) {
                written += client.write(out, written, total - written, 10_000);
            }
            client.close();
            clientRunner.close();

            MemorySegment in = arena.allocate(1 << 16);
            long received = 0;
            int n;
            while ((n = server.read(in, 0, (int) in.byteSize(), 5_000)) > 0) {
                received += n;
            }
            assertEquals(StreamConnection.EOF, n, "end of stream after the data");
            assertEquals(total, received);
            server.close();
        }
    }

    @Test
    @Timeout(120)
    void tcpTransferSurvivesLossReorderingDuplicationAndCorruption() throws Exception {
        List<FaultInjector> injectors = new ArrayList<>();
        UnaryOperator<Device> spoil = d -> {
            FaultInjector injector = new FaultInjector(d, FaultInjector.Options.none(11 + injectors.size())
                    .withLoss(1).withReorder(1).withDuplicate(0.5).withCorrupt(0.5));
            injectors.add(injector);
            return injector;
        };
        try (LinkedStacks net = new LinkedStacks(ArpCache.Settings.DEFAULT, spoil, spoil)) {
            transfer(net, 4L << 20);
            FaultInjector towardsB = injectors.get(1);
            assertTrue(towardsB.counters().get(FaultInjector.Fault.LOST) > 10, towardsB.counters().toString());
            assertTrue(towardsB.counters().get(FaultInjector.Fault.CORRUPTED) > 5, towardsB.counters().toString());
            assertTrue(towardsB.counters().get(FaultInjector.Fault.REORDERED) > 10, towardsB.counters().toString());
            // A flipped byte is caught by the Ethernet/IP checks here or the TCP checksum there, never delivered.
            var counters = net.b.counters();
            long caughtHere = counters.get(StackCounter.ETHERNET_NOT_FOR_US) + counters.get(StackCounter.ETHERNET_UNKNOWN_TYPE)
                    + counters.get(StackCounter.IPV4_BAD_HEADER_CHECKSUM) + counters.get(StackCounter.IPV4_BAD_LENGTH)
                    + counters.get(StackCounter.IPV4_BAD_VERSION) + counters.get(StackCounter.IPV4_NOT_FOR_US)
                    + counters.get(StackCounter.IPV4_BAD_SOURCE) + counters.get(StackCounter.IPV4_FRAGMENT_DROPPED)
                    + counters.get(StackCounter.IPV4_UNKNOWN_PROTOCOL);
            long caughtByTcp = net.b.tcp().counters().get(TcpCounters.DROPPED_BAD_CHECKSUM)
                    + net.b.tcp().counters().get(TcpCounters.DROPPED_MALFORMED)
                    + net.b.tcp().counters().get(TcpCounters.DROPPED_NO_SOCKET);
            assertTrue(caughtHere + caughtByTcp > 0 && caughtHere + caughtByTcp
                    <= towardsB.counters().get(FaultInjector.Fault.CORRUPTED), caughtHere + " + " + caughtByTcp);
        }
    }

    @Test
    @Timeout(60)
    void datagramsAndErrorsThroughTheSeam() throws Exception {
        try (LinkedStacks net = new LinkedStacks(); StackRunner runner = StackRunner.start(net.a, net.b);
                Arena arena = Arena.ofShared()) {
            UserspaceTransport ta = new UserspaceTransport(net.a);
            UserspaceTransport tb = new UserspaceTransport(net.b);
            assertEquals("userspace", ta.name());
            DatagramEndpoint server = tb.bindDatagram(new InetSocketAddress(
                    Ipv4Address.toInetAddress(LinkedStacks.ADDRESS_B), 5301), DatagramOptions.DEFAULT);
            DatagramEndpoint client = ta.bindDatagram(A, DatagramOptions.DEFAULT);
            client.connect(server.localAddress());
            MemorySegment src = arena.allocate(1470 * 32);
            for (int i = 0; i < src.byteSize(); i++) {
                src.set(ValueLayout.JAVA_BYTE, i, pattern(i));
            }
            assertEquals(32, client.send(src, 0, 1470, 32));
            DatagramBatch batch = new DatagramBatch(arena.allocate(1 << 20), 64);
            int got = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            MemorySegment received = arena.allocate(1470 * 32);
            while (got < 32 && System.nanoTime() < deadline) {
                int n = server.receive(batch, 1_000);
                for (int i = 0; i < n; i++) {
                    assertEquals(1470, batch.length(i));
                    MemorySegment.copy(batch.buffer(), batch.offset(i), received, (long) (got + i) * 1470, 1470);
                }
                got += n;
            }
            assertEquals(32, got);
            assertEquals(-1L, received.mismatch(src));
            assertEquals(client.localAddress(), server.lastSource());

            server.sendTo(src, 0, 100, server.lastSource());
            assertEquals(1, client.receive(batch, 5_000));
            assertEquals(100, batch.length(0));
            assertEquals(0, client.receive(batch, 10), "nothing more: the wait times out");

            assertThrows(IOException.class, () -> client.send(src, 0, 1473, 1), "larger than MTU 1500 allows");
            // A second endpoint shares the port (SO_REUSEADDR, as on the kernel path); once the first is connected
            // to the client, the client's datagrams go to it and another sender's to the second.
            DatagramEndpoint second = tb.bindDatagram(server.localAddress(), DatagramOptions.DEFAULT);
            assertEquals(server.localAddress(), second.localAddress());
            server.connect(client.localAddress());
            DatagramEndpoint other = ta.bindDatagram(A, DatagramOptions.DEFAULT);
            other.connect(server.localAddress());
            assertEquals(1, other.send(src, 0, 50, 1));
            assertEquals(1, client.send(src, 0, 60, 1));
            assertEquals(1, second.receive(batch, 5_000));
            assertEquals(50, batch.length(0));
            assertEquals(other.localAddress(), second.lastSource());
            assertEquals(1, server.receive(batch, 5_000));
            assertEquals(60, batch.length(0));
            assertEquals(0, second.receive(batch, 10));
            second.close();
            other.close();
            assertThrows(BindException.class, () -> ta.listen(new InetSocketAddress(
                    Ipv4Address.toInetAddress(0x0a000005), 80), StreamOptions.DEFAULT));
            assertThrows(ConnectException.class, () -> ta.connect(B_5201, A, StreamOptions.DEFAULT, 5_000),
                    "nobody listens: the peer answers RST");
            IOException unreachable = assertThrows(java.net.NoRouteToHostException.class, () -> ta.connect(
                    new InetSocketAddress(Ipv4Address.toInetAddress(0xc0000209), 80), null, StreamOptions.DEFAULT,
                    5_000), "off the /24 and no gateway: the connect fails at once, it is not retried");
            assertTrue(unreachable.getMessage().contains("192.0.2.9"), unreachable.getMessage());
            StreamListener listener = tb.listen(B_5201, StreamOptions.DEFAULT);
            assertNull(listener.accept(20), "accept times out with no connection");
            listener.close();
            server.close();
            client.close();
            assertNull(runner.failure());
        }
    }
}
