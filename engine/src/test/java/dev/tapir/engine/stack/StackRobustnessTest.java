package dev.tapir.engine.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tapir.engine.stack.phy.FrameHandler;
import dev.tapir.engine.stack.stats.LiveCounters;
import dev.tapir.engine.stack.stats.StackCounter;
import dev.tapir.engine.stack.tcp.TcpConfig;
import dev.tapir.engine.stack.tcp.TcpCounters;
import dev.tapir.engine.stack.tcp.TcpListener;
import dev.tapir.engine.stack.tcp.TcpSocket;
import dev.tapir.engine.stack.udp.UdpSocket;
import dev.tapir.engine.stack.wire.Checksum;
import dev.tapir.engine.stack.wire.Ipv4Packet;
import dev.tapir.engine.transport.DatagramBatch;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Feeds a stack a million random and mutated frames (mutations of valid ARP, ICMP, UDP and TCP frames, with the IP
 * and L4 checksums sometimes repaired after the mutation so the deeper parsers see the damage), then checks that
 * nothing escaped, every frame is accounted for by exactly one outcome counter, and real traffic still flows.
 */
class StackRobustnessTest {
    private static final int FRAMES = 1_000_000;
    private static final int LISTEN_PORT = 5201;
    private static final int UDP_PORT = 5301;
    private static final int TEMPLATES = 6;
    /** Frames up to twice the MTU: a device may hand up more than the MTU (offloads, a misconfigured peer). */
    private static final int MAX_FRAME = 3028;

    private final TestFrames frames = new TestFrames();
    private final UnsafeBuffer[] templates = new UnsafeBuffer[TEMPLATES];
    private final int[] templateLengths = new int[TEMPLATES];

    private void buildTemplates() {
        long a = LinkedStacks.MAC_A;
        long b = LinkedStacks.MAC_B;
        int ia = LinkedStacks.ADDRESS_A;
        int ib = LinkedStacks.ADDRESS_B;
        for (int i = 0; i < TEMPLATES; i++) {
            templates[i] = new UnsafeBuffer(new byte[2048]);
        }
        templateLengths[0] = frames.arpRequest(templates[0], 0, 0x02_00_00_00_00_33L, 0x0a000033, ib);
        templateLengths[1] = frames.echoRequest(templates[1], 0, a, b, ia, ib, 9, 1, 48);
        templateLengths[2] = frames.udp(templates[2], 0, a, b, ia, ib, 4000, UDP_PORT, 200);
        templateLengths[3] = tcp(templates[3], 0x02, 0, 0);
        templateLengths[4] = tcp(templates[4], 0x10, 0, 300);
        templateLengths[5] = tcp(templates[5], 0x11, 0x12345678, 0);
    }

    /** A TCP segment from A:40000 to B's listener with {@code flags}, an MSS option and {@code dataLength} bytes. */
    private int tcp(UnsafeBuffer frame, int flags, int ack, int dataLength) {
        int l4Length = 24 + dataLength;
        int length = frames.ipv4(frame, 0, LinkedStacks.MAC_A, LinkedStacks.MAC_B, LinkedStacks.ADDRESS_A,
                LinkedStacks.ADDRESS_B, Ipv4Packet.PROTOCOL_TCP, l4Length);
        int t = TestFrames.L4;
        frame.putShort(t, (short) 40000, ByteOrder.BIG_ENDIAN);
        frame.putShort(t + 2, (short) LISTEN_PORT, ByteOrder.BIG_ENDIAN);
        frame.putInt(t + 4, 1000, ByteOrder.BIG_ENDIAN);
        frame.putInt(t + 8, ack, ByteOrder.BIG_ENDIAN);
        frame.putByte(t + 12, (byte) (6 << 4));
        frame.putByte(t + 13, (byte) flags);
        frame.putShort(t + 14, (short) 65535, ByteOrder.BIG_ENDIAN);
        frame.putInt(t + 20, 0x020405b4, ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < dataLength; i++) {
            frame.putByte(t + 24 + i, (byte) i);
        }
        fixL4Checksum(frame, length);
        return length;
    }

    /** Recomputes the TCP or UDP checksum of a frame whose IP header still says where the L4 part is. */
    private static void fixL4Checksum(UnsafeBuffer frame, int length) {
        int ihl = (frame.getByte(TestFrames.IP) & 0xf) * 4;
        int total = frame.getShort(TestFrames.IP + 2, ByteOrder.BIG_ENDIAN) & 0xffff;
        int protocol = frame.getByte(TestFrames.IP + 9) & 0xff;
        int l4 = TestFrames.IP + ihl;
        int l4Length = total - ihl;
        if (ihl < 20 || l4Length < 8 || l4 + l4Length > length) {
            return;
        }
        int field = protocol == Ipv4Packet.PROTOCOL_TCP ? 16 : protocol == Ipv4Packet.PROTOCOL_UDP ? 6 : 2;
        if (field == 16 && l4Length < 20) {
            return;
        }
        frame.putShort(l4 + field, (short) 0);
        long sum = protocol == Ipv4Packet.PROTOCOL_ICMP ? 0 : Checksum.pseudoHeader(
                frame.getInt(TestFrames.IP + 12, ByteOrder.BIG_ENDIAN), frame.getInt(TestFrames.IP + 16, ByteOrder.BIG_ENDIAN),
                protocol, l4Length);
        frame.putShort(l4 + field, (short) Checksum.finish(Checksum.add(sum, frame, l4, l4Length)), ByteOrder.BIG_ENDIAN);
    }

    private static void fixIpChecksum(UnsafeBuffer frame, int length) {
        int ihl = (frame.getByte(TestFrames.IP) & 0xf) * 4;
        if (ihl >= 20 && TestFrames.IP + ihl <= length) {
            frame.putShort(TestFrames.IP + 10, (short) 0);
            frame.putShort(TestFrames.IP + 10, (short) Checksum.compute(frame, TestFrames.IP, ihl), ByteOrder.BIG_ENDIAN);
        }
    }

    /** Mutates a copy of a template (or fills pure noise) into {@code scratch}; returns the frame length. */
    private int mutate(SplittableRandom random, UnsafeBuffer scratch) {
        if (random.nextInt(10) == 0) {
            int length = random.nextInt(0, MAX_FRAME + 1);
            for (int i = 0; i < length; i++) {
                scratch.putByte(i, (byte) random.nextInt(256));
            }
            return length;
        }
        int template = random.nextInt(TEMPLATES);
        int length = templateLengths[template];
        scratch.putBytes(0, templates[template], 0, length);
        int mutations = 1 + random.nextInt(4);
        for (int m = 0; m < mutations && length > 0; m++) {
            switch (random.nextInt(6)) {
                case 0 -> {
                    int at = random.nextInt(length);
                    scratch.putByte(at, (byte) (scratch.getByte(at) ^ (1 << random.nextInt(8))));
                }
                case 1 -> scratch.putByte(random.nextInt(length), (byte) random.nextInt(256));
                // Headers are where parsers go wrong: hit the first 60 bytes with edge values.
                case 2 -> scratch.putByte(random.nextInt(Math.min(length, 60)), random.nextBoolean() ? 0 : (byte) 0xff);
                case 3 -> length = random.nextInt(length + 1);
                case 4 -> {
                    int extra = random.nextInt(1, random.nextInt(50) == 0 ? 1600 : 200);
                    for (int i = 0; i < extra && length < MAX_FRAME; i++) {
                        scratch.putByte(length++, (byte) random.nextInt(256));
                    }
                }
                default -> scratch.putShort(TestFrames.IP + 2 + 2 * random.nextInt(10),
                        (short) random.nextInt(65536), ByteOrder.BIG_ENDIAN);
            }
        }
        if (random.nextBoolean()) {
            fixL4Checksum(scratch, length);
        }
        if (random.nextInt(4) != 0) {
            fixIpChecksum(scratch, length);
        }
        return length;
    }

    @Test
    @Timeout(120)
    void aMillionBadFramesAreCountedAndTheStackStillCarriesTraffic() {
        buildTemplates();
        try (LinkedStacks net = new LinkedStacks(); Arena arena = Arena.ofConfined()) {
            // Small rings: every SYN of the noise makes a half-open socket, and each allocates its rings up front.
            TcpListener listener = net.b.tcp().listen(LISTEN_PORT, 16,
                    new TcpConfig().sendBufferBytes(1 << 16).receiveBufferBytes(1 << 16));
            UdpSocket udp = net.b.udp().bind(UDP_PORT, 0);
            SplittableRandom random = new SplittableRandom(20240611L);
            // A quarter of the frames come as a device with offloads hands them up: L4 checksum vouched for, so
            // damaged TCP and UDP headers reach the layers unchecked and must still be counted, never thrown.
            SplittableRandom flagRandom = new SplittableRandom(7);
            UnsafeBuffer scratch = new UnsafeBuffer(new byte[MAX_FRAME]);
            DatagramBatch batch = new DatagramBatch(arena.allocate(1 << 20), 256);
            var iface = net.b.networkInterface();
            for (int i = 0; i < FRAMES; i++) {
                int length = mutate(random, scratch);
                iface.advanceClock(net.now);
                iface.onFrame(scratch, 0, length, flagRandom.nextInt(4) == 0 ? FrameHandler.CHECKSUM_PARTIAL : 0);
                net.now += 1_000;
                if ((i & 63) == 63) {
                    net.a.doWork(net.now);
                    net.b.doWork(net.now);
                    udp.receive(batch);
                }
            }
            LiveCounters<StackCounter> c = net.b.counters();
            assertTrue(c.get(StackCounter.FRAMES_RECEIVED) >= FRAMES);
            assertEquals(c.get(StackCounter.FRAMES_RECEIVED), NetworkStackTest.outcomes(c), c.toString());
            assertEquals(c.get(StackCounter.TCP_DELIVERED), net.b.tcp().counters().get(TcpCounters.SEGMENTS_IN));
            // The mutations reach every layer: each kind of outcome occurs.
            for (StackCounter expected : new StackCounter[] {StackCounter.ETHERNET_TRUNCATED,
                    StackCounter.ETHERNET_NOT_FOR_US, StackCounter.ETHERNET_UNKNOWN_TYPE, StackCounter.ARP_MALFORMED,
                    StackCounter.ARP_REQUEST_ANSWERED, StackCounter.IPV4_BAD_VERSION, StackCounter.IPV4_BAD_LENGTH,
                    StackCounter.IPV4_BAD_HEADER_CHECKSUM, StackCounter.IPV4_FRAGMENT_DROPPED,
                    StackCounter.ICMP_BAD_CHECKSUM, StackCounter.ICMP_ECHO_ANSWERED, StackCounter.UDP_BAD_CHECKSUM,
                    StackCounter.UDP_MALFORMED, StackCounter.UDP_DELIVERED, StackCounter.TCP_DELIVERED}) {
                assertTrue(c.get(expected) > 0, expected + " never happened: " + c);
            }
            assertTrue(net.b.tcp().counters().get(TcpCounters.DROPPED_BAD_CHECKSUM) > 0);

            // Let half-open connections from the noise time out, then move real data both ways.
            for (int s = 0; s < 400; s++) {
                net.now += 1_000_000_000L;
                net.a.doWork(net.now);
                net.b.doWork(net.now);
                udp.receive(batch);
                for (TcpSocket junk = listener.accept(); junk != null; junk = listener.accept()) {
                    junk.abort();
                }
            }
            UdpSocket atA = net.a.udp().bind(0, 0);
            MemorySegment data = arena.allocate(1 << 20);
            for (int i = 0; i < data.byteSize(); i++) {
                data.set(ValueLayout.JAVA_BYTE, i, (byte) (i ^ (i >>> 9)));
            }
            assertTrue(atA.offer(LinkedStacks.ADDRESS_B, UDP_PORT, data, 0, 1000));
            net.steps(5);
            assertEquals(1, udp.receive(batch));
            assertEquals(-1L, batch.buffer().asSlice(batch.offset(0), 1000).mismatch(data.asSlice(0, 1000)));

            TcpSocket client = net.a.tcp().connect(net.now, LinkedStacks.ADDRESS_B, LISTEN_PORT);
            TcpSocket[] server = new TcpSocket[1];
            assertTrue(net.stepUntil(() -> (server[0] = listener.accept()) != null, 1000), c.toString());
            MemorySegment received = arena.allocate(data.byteSize());
            long[] moved = new long[2];
            assertTrue(net.stepUntil(() -> {
                if (moved[0] < data.byteSize()) {
                    moved[0] += client.write(data, moved[0], (int) (data.byteSize() - moved[0]));
                }
                int n = server[0].read(received, moved[1], (int) (received.byteSize() - moved[1]));
                moved[1] += Math.max(0, n);
                return moved[1] == data.byteSize();
            }, 100_000), "moved " + moved[1]);
            assertNotNull(server[0]);
            assertEquals(-1L, received.mismatch(data));
        }
    }
}
