package dev.tapir.engine.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tapir.engine.stack.iface.InterfaceConfig;
import dev.tapir.engine.stack.phy.PcapWriter;
import dev.tapir.engine.stack.phy.TapDevice;
import dev.tapir.engine.stack.stats.StackCounter;
import dev.tapir.engine.stack.tcp.TcpCounters;
import dev.tapir.engine.stack.wire.Ipv4Address;
import dev.tapir.engine.transport.DatagramBatch;
import dev.tapir.engine.transport.DatagramEndpoint;
import dev.tapir.engine.transport.DatagramOptions;
import dev.tapir.engine.transport.StreamConnection;
import dev.tapir.engine.transport.StreamListener;
import dev.tapir.engine.transport.StreamOptions;
import dev.tapir.nativeio.Namespaces;
import dev.tapir.nativeio.Netlink;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The userspace stack on real taps inside a namespace this test creates and deletes: tapir to tapir over a bridge and
 * tapir to the kernel's TCP over one tap, with TCP offloads (partial checksums, 64 KiB super-frames) on and off.
 * Every byte is checked; the taps' counters show whether super-frames really travelled.
 */
class TapOffloadTest {
    private static final int PREFIX = 24;
    private static final int ADDRESS_A = 0x0a4d0001; // 10.77.0.1, inside the test's namespace only
    private static final int ADDRESS_B = 0x0a4d0002;
    private static final int KERNEL_ADDRESS = 0x0a4d0101; // 10.77.1.1 on the tap, tapir is 10.77.1.2
    private static final int TAPIR_ADDRESS = 0x0a4d0102;
    private static final int PORT = 5201;
    private static final int MSS = 1448;

    private final String ns =
            "tapir-t-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24) | (1 << 24));
    private final Pattern pattern = new Pattern();
    private NetworkStack stackA;
    private NetworkStack stackB;
    private TapDevice tapA;
    private TapDevice tapB;

    @BeforeEach
    void createNamespace() throws Exception {
        Namespaces.create(ns);
        Namespaces.callIn(ns, () -> {
            // Bridged IPv4 skips iptables here (only this namespace's knob), as a tap lab would set it.
            Path knob = Path.of("/proc/sys/net/bridge/bridge-nf-call-iptables");
            if (Files.exists(knob)) {
                Files.writeString(knob, "0\n");
            }
            return null;
        });
    }

    @AfterEach
    void deleteNamespace() throws Exception {
        try {
            if (stackA != null) {
                stackA.close();
            }
            if (stackB != null) {
                stackB.close();
            }
        } finally {
            Namespaces.delete(ns);
        }
    }

    /** Taps tofa/tofb on bridge tofbr, all up; the taps vanish with the namespace. */
    private TapDevice[] bridgedTaps(TapDevice.Options a, TapDevice.Options b) throws IOException {
        return Namespaces.callIn(ns, () -> {
            TapDevice tapA = TapDevice.open("tofa", a);
            TapDevice tapB = TapDevice.open("tofb", b);
            try (Netlink nl = Netlink.open()) {
                nl.createBridge("tofbr");
                int bridge = Netlink.indexOf("tofbr");
                for (String port : List.of("tofa", "tofb")) {
                    nl.setMaster(Netlink.indexOf(port), bridge);
                    nl.setUp(Netlink.indexOf(port), true);
                }
                nl.setUp(bridge, true);
            }
            return new TapDevice[] {tapA, tapB};
        });
    }

    /** Tap tofk with the kernel's address on it, up; tapir speaks from the other end of the tap. */
    private TapDevice kernelTap(TapDevice.Options options) throws IOException {
        return Namespaces.callIn(ns, () -> {
            TapDevice tap = TapDevice.open("tofk", options);
            try (Netlink nl = Netlink.open()) {
                int index = Netlink.indexOf("tofk");
                nl.addIpv4Address(index, KERNEL_ADDRESS, PREFIX);
                nl.setUp(index, true);
            }
            return tap;
        });
    }

    private static InterfaceConfig config(long mac, int address) {
        return new InterfaceConfig(mac, address, PREFIX, Ipv4Address.ANY);
    }

    private static InetSocketAddress endpoint(int address, int port) {
        return new InetSocketAddress(Ipv4Address.toInetAddress(address), port);
    }

    // ---------------------------------------------------------------- tapir to tapir over the bridge

    private void tapirToTapir(TapDevice.Options optionsA, TapDevice.Options optionsB, long bytes, Path capture)
            throws Exception {
        TapDevice[] taps = bridgedTaps(optionsA, optionsB);
        tapA = taps[0];
        tapB = taps[1];
        PcapWriter pcap = capture == null ? null : new PcapWriter(tapA, capture);
        stackA = new NetworkStack(pcap == null ? tapA : pcap, config(0x02_4d_00_00_00_01L, ADDRESS_A));
        stackB = new NetworkStack(tapB, config(0x02_4d_00_00_00_02L, ADDRESS_B));
        try (StackRunner runner = StackRunner.start(stackA, stackB)) {
            StreamListener listener = new UserspaceTransport(stackB).listen(endpoint(ADDRESS_B, PORT),
                    StreamOptions.DEFAULT);
            StreamConnection client = new UserspaceTransport(stackA).connect(endpoint(ADDRESS_B, PORT),
                    endpoint(ADDRESS_A, 0), StreamOptions.DEFAULT, 5_000);
            StreamConnection server = listener.accept(5_000);
            assertNotNull(server);
            CompletableFuture<Long> sent = CompletableFuture.supplyAsync(() -> pattern.send(client, bytes));
            assertEquals(bytes, pattern.receive(server));
            assertEquals(bytes, sent.get(30, TimeUnit.SECONDS));
            server.close();
            client.close();
            listener.close();
            assertNull(runner.failure());
        }
        assertEquals(0, stackB.tcp().counters().get(TcpCounters.DROPPED_BAD_CHECKSUM));
    }

    @Test
    @Timeout(120)
    void tapirToTapirWithOffloadsSendsSuperFramesThatArriveWhole(@TempDir Path dir) throws Exception {
        long bytes = 64L << 20;
        Path capture = dir.resolve("a.pcap");
        tapirToTapir(TapDevice.Options.tcpOffloads(), TapDevice.Options.tcpOffloads(), bytes, capture);
        TapDevice a = tapA;
        TapDevice b = tapB;
        assertTrue(a.transmittedSuperFrames() > 0, "no super-frame sent");
        assertTrue(a.transmittedFrames() < bytes / MSS / 8,
                a.transmittedFrames() + " frames for " + bytes / MSS + " segments");
        assertTrue(b.receivedSuperFrames() > 0, "the receiving tap accepts TSO: super-frames arrive whole");
        assertTrue(b.receivedFrames() < bytes / MSS / 8, b.receivedFrames() + " frames received");
        assertEquals(0, a.transmitDrops());
        // The capture holds the super-frames as sent: whole, with IPv4 lengths that match the records.
        assertTrue(largestCapturedFrame(capture) > 40 * MSS, "largest frame " + largestCapturedFrame(capture));
    }

    @Test
    @Timeout(120)
    void tapirWithOffloadsInteroperatesWithTapirWithout() throws Exception {
        long bytes = 16L << 20;
        tapirToTapir(TapDevice.Options.tcpOffloads(), TapDevice.Options.plain(), bytes, null);
        TapDevice a = tapA;
        TapDevice b = tapB;
        assertTrue(a.transmittedSuperFrames() > 0);
        // The bridge cut them for the plain tap: MTU-sized frames with full checksums that B checked.
        assertTrue(b.receivedFrames() >= bytes / MSS, b.receivedFrames() + " frames received");
        assertTrue(stackB.counters().get(StackCounter.TCP_DELIVERED) >= bytes / MSS);
    }

    @Test
    @Timeout(120)
    void tapirToTapirWithoutOffloadsUsesMtuSizedFrames() throws Exception {
        long bytes = 16L << 20;
        tapirToTapir(TapDevice.Options.virtioNet(0), TapDevice.Options.plain(), bytes, null);
        TapDevice a = tapA;
        TapDevice b = tapB;
        assertEquals(0, a.transmittedSuperFrames());
        assertTrue(a.transmittedFrames() >= bytes / MSS);
        assertEquals(0, b.receivedSuperFrames());
        assertTrue(b.receivedFrames() >= bytes / MSS);
    }

    /** Walks the pcap records; checks each frame's IPv4 total length against the record; returns the longest. */
    private static int largestCapturedFrame(Path file) throws IOException {
        ByteBuffer pcap;
        try (FileChannel channel = FileChannel.open(file)) {
            pcap = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size()).order(ByteOrder.LITTLE_ENDIAN);
        }
        int largest = 0;
        int position = PcapWriter.FILE_HEADER_LENGTH;
        while (position < pcap.limit()) {
            int captured = pcap.getInt(position + 8);
            int original = pcap.getInt(position + 12);
            assertEquals(original, captured, "whole frame captured");
            int frame = position + PcapWriter.RECORD_HEADER_LENGTH;
            if (pcap.order(ByteOrder.BIG_ENDIAN).getShort(frame + 12) == 0x0800) {
                assertEquals(captured - 14, pcap.getShort(frame + 16) & 0xffff, "IPv4 total length");
            }
            pcap.order(ByteOrder.LITTLE_ENDIAN);
            largest = Math.max(largest, captured);
            position = frame + captured;
        }
        assertEquals(pcap.limit(), position, "records end at the end of the file");
        return largest;
    }

    // ---------------------------------------------------------------- tapir and the kernel's TCP over one tap

    private void kernelBothWays(TapDevice.Options options, long bytes) throws Exception {
        tapA = kernelTap(options);
        stackA = new NetworkStack(tapA, config(0x02_4d_00_00_01_02L, TAPIR_ADDRESS));
        try (StackRunner runner = StackRunner.start(stackA);
                ServerSocketChannel kernelListener = Namespaces.callIn(ns,
                        () -> ServerSocketChannel.open().bind(endpoint(KERNEL_ADDRESS, PORT)))) {
            UserspaceTransport tapir = new UserspaceTransport(stackA);
            // tapir -> kernel
            StreamConnection client = tapir.connect(endpoint(KERNEL_ADDRESS, PORT), endpoint(TAPIR_ADDRESS, 0),
                    StreamOptions.DEFAULT, 5_000);
            try (SocketChannel accepted = kernelListener.accept()) {
                CompletableFuture<Long> sent = CompletableFuture.supplyAsync(() -> pattern.send(client, bytes));
                assertEquals(bytes, pattern.receive(accepted));
                assertEquals(bytes, sent.get(30, TimeUnit.SECONDS));
            }
            client.close();
            // kernel -> tapir
            StreamListener listener = tapir.listen(endpoint(TAPIR_ADDRESS, PORT), StreamOptions.DEFAULT);
            try (SocketChannel kernelClient = Namespaces.callIn(ns,
                    () -> SocketChannel.open(endpoint(TAPIR_ADDRESS, PORT)))) {
                StreamConnection server = listener.accept(5_000);
                assertNotNull(server);
                CompletableFuture<Long> sent = CompletableFuture.supplyAsync(() -> pattern.send(kernelClient, bytes));
                assertEquals(bytes, pattern.receive(server));
                assertEquals(bytes, sent.get(30, TimeUnit.SECONDS));
                server.close();
            }
            listener.close();
            assertNull(runner.failure());
        }
    }

    @Test
    @Timeout(120)
    void kernelAndTapirExchangeSuperFramesBothWaysWithOffloads() throws Exception {
        long bytes = 32L << 20;
        kernelBothWays(TapDevice.Options.tcpOffloads(), bytes);
        TapDevice tap = tapA;
        assertTrue(tap.transmittedSuperFrames() > 0, "tapir sent no super-frame");
        assertTrue(tap.receivedSuperFrames() > 0, "the kernel sent no GSO frame to a tap that takes TSO");
        assertTrue(tap.transmittedFrames() < 2 * bytes / MSS / 4, tap.transmittedFrames() + " frames sent");
    }

    @Test
    @Timeout(120)
    void kernelAndTapirInteroperateWithoutOffloads() throws Exception {
        long bytes = 16L << 20;
        kernelBothWays(TapDevice.Options.plain(), bytes);
        TapDevice tap = tapA;
        assertEquals(0, tap.transmittedSuperFrames());
        assertEquals(0, tap.receivedSuperFrames());
        assertTrue(tap.receivedFrames() >= bytes / MSS, "the kernel segmented: " + tap.receivedFrames());
    }

    @Test
    @Timeout(60)
    void kernelUdpWithPartialChecksumsReachesTapirWithOffloads() throws Exception {
        tapA = kernelTap(TapDevice.Options.tcpOffloads());
        stackA = new NetworkStack(tapA, config(0x02_4d_00_00_01_02L, TAPIR_ADDRESS));
        int count = 50;
        int length = 1000;
        try (StackRunner runner = StackRunner.start(stackA); Arena arena = Arena.ofShared();
                DatagramEndpoint tapir = new UserspaceTransport(stackA).bindDatagram(endpoint(TAPIR_ADDRESS, PORT),
                        DatagramOptions.DEFAULT);
                DatagramChannel kernel = Namespaces.callIn(ns,
                        () -> DatagramChannel.open().bind(endpoint(KERNEL_ADDRESS, PORT)))) {
            DatagramBatch batch = new DatagramBatch(arena.allocate(1 << 20), 64);
            ByteBuffer datagram = ByteBuffer.allocate(length);
            int received = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            for (int i = 0; i < count && System.nanoTime() < deadline; i++) {
                datagram.clear();
                datagram.putInt(0, i);
                kernel.send(datagram, endpoint(TAPIR_ADDRESS, PORT));
                // One at a time, so the first (sent while ARP resolves) may be the only one the kernel drops.
                int n = tapir.receive(batch, 1_000);
                for (int k = 0; k < n; k++) {
                    assertEquals(length, batch.length(k));
                }
                received += n;
            }
            assertTrue(received >= count - 1, received + " of " + count + " datagrams");
            assertNull(runner.failure());
        }
        assertEquals(0, stackA.counters().get(StackCounter.UDP_BAD_CHECKSUM));
        assertTrue(tapA.receivedChecksumTrusted() >= count - 1,
                "the kernel left UDP checksums partial: " + tapA.receivedChecksumTrusted());
    }

    // ---------------------------------------------------------------- the byte stream

    /** A seeded pattern of prime period; senders write it, receivers compare every byte with it. */
    private static final class Pattern {
        private static final int PERIOD = 1_048_573;
        private static final int CHUNK = 256 * 1024;
        private final MemorySegment source = Arena.ofAuto().allocate(PERIOD + CHUNK);

        Pattern() {
            byte[] block = new byte[PERIOD];
            new Random(5).nextBytes(block);
            MemorySegment.copy(block, 0, source, ValueLayout.JAVA_BYTE, 0, PERIOD);
            MemorySegment.copy(block, 0, source, ValueLayout.JAVA_BYTE, PERIOD, CHUNK);
        }

        long send(StreamConnection to, long total) {
            try {
                long written = 0;
                while (written < total) {
                    int n = to.write(source, written % PERIOD, (int) Math.min(CHUNK, total - written), 10_000);
                    if (n <= 0) {
                        throw new IOException("write stalled at " + written);
                    }
                    written += n;
                }
                to.shutdownOutput();
                return written;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        long send(SocketChannel to, long total) {
            try {
                long written = 0;
                while (written < total) {
                    int n = (int) Math.min(CHUNK, total - written);
                    written += to.write(source.asSlice(written % PERIOD, n).asByteBuffer());
                }
                to.shutdownOutput();
                return written;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        long receive(StreamConnection from) throws IOException {
            MemorySegment sink = Arena.ofAuto().allocate(CHUNK);
            long read = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                int n = from.read(sink, 0, CHUNK, 1_000);
                if (n == StreamConnection.EOF) {
                    break;
                }
                check(sink, read, n);
                read += n;
            }
            return read;
        }

        long receive(SocketChannel from) throws IOException {
            MemorySegment sink = Arena.ofAuto().allocate(CHUNK);
            ByteBuffer view = sink.asByteBuffer();
            long read = 0;
            while (true) {
                view.clear();
                int n = from.read(view);
                if (n < 0) {
                    return read;
                }
                check(sink, read, n);
                read += n;
            }
        }

        private void check(MemorySegment sink, long at, int n) {
            long p = at % PERIOD;
            long mismatch = MemorySegment.mismatch(sink, 0, n, source, p, p + n);
            if (mismatch >= 0) {
                throw new AssertionError("byte " + (at + mismatch) + " differs");
            }
        }
    }
}
