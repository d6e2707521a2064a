package dev.tapir.engine.stack.tcp;

import dev.tapir.engine.stack.ip.IpOutput;
import dev.tapir.engine.stack.wire.Checksum;
import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.function.BooleanSupplier;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Two TcpLayers joined by an in-test IP link with a fake clock: packets take {@link #delayNanos} one way and pass a
 * {@link Filter} that may drop, corrupt or delay them. Everything runs on the test thread, deterministically. An
 * {@link Output} with {@link Output#segmentation} on behaves like a tap with TSO: it takes partial checksums and
 * super-frames, and cuts each super-frame into MSS-sized segments the way the kernel does (sequence numbers stepped,
 * FIN/PSH on the last one only, each checksum completed from the adjusted pseudo-header sum) before they meet the
 * filter.
 */
final class TwoLayerNetwork {
    static final int ADDRESS_A = 0x0a000001;
    static final int ADDRESS_B = 0x0a000002;

    /** What to do with a packet: {@link #PASS}, {@link #DROP}, or a positive extra delay in nanoseconds. */
    interface Filter {
        long PASS = 0;
        long DROP = -1;

        long decide(int source, TcpSegment segment, int index);

        /** Drops 1 % of packets and holds back another 1 % by 300 µs (so they arrive out of order), from {@code random}. */
        static Filter onePercentLossAndReorder(Random random) {
            return (source, segment, index) -> {
                double r = random.nextDouble();
                if (r < 0.01) {
                    return DROP;
                }
                return r < 0.02 ? 300_000L : PASS;
            };
        }
    }

    record Packet(long deliverAt, long order, int source, int destination, byte[] bytes) {
    }

    final class Output implements IpOutput {
        private final int address;
        private final int mtu;
        private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[65536]);
        private int claimedLength;
        private int claimedDestination;
        private boolean claimedPartial;
        private int claimedHeaderLength;
        private int claimedSegmentSize;
        /** Packets the TCP layer committed (a super-frame counts once). */
        int sent;
        /** Committed super-frames. */
        int superFrames;
        /** Take partial checksums and TCP super-frames up to 64 KiB, like a tap with TSO. */
        boolean segmentation;

        Output(int address, int mtu) {
            this.address = address;
            this.mtu = mtu;
        }

        @Override
        public int claim(int destination, int protocol, int l4Length) {
            if (l4Length > maxTcpOffloadLength(destination)) {
                throw new AssertionError("segment of " + l4Length + " exceeds the route");
            }
            claimedLength = l4Length;
            claimedDestination = destination;
            claimedPartial = false;
            claimedSegmentSize = 0;
            return 0;
        }

        @Override
        public int maxTcpOffloadLength(int destination) {
            return segmentation ? 65535 - 20 : maxL4Length(destination);
        }

        @Override
        public boolean checksumOffload() {
            return segmentation;
        }

        @Override
        public void offloadTcp(int l4Offset, int tcpHeaderLength, int segmentSize) {
            if (!segmentation || segmentSize > 0 && claimedLength <= maxL4Length(claimedDestination)) {
                throw new AssertionError("offload not granted: " + claimedLength + " bytes, segments " + segmentSize);
            }
            claimedPartial = true;
            claimedHeaderLength = tcpHeaderLength;
            claimedSegmentSize = segmentSize;
        }

        @Override
        public int sourceAddress() {
            return address;
        }

        @Override
        public MutableDirectBuffer buffer() {
            return buffer;
        }

        @Override
        public void commit(long nowNanos, int l4Offset) {
            sent++;
            if (!claimedPartial) {
                send(nowNanos, buffer, claimedLength);
                return;
            }
            int partial = buffer.getShort(TcpSegment.CHECKSUM_OFFSET, ByteOrder.BIG_ENDIAN) & 0xffff;
            if (claimedSegmentSize == 0) {
                completeChecksum(buffer, 0, claimedLength, partial);
                send(nowNanos, buffer, claimedLength);
                return;
            }
            superFrames++;
            int header = claimedHeaderLength;
            int payload = claimedLength - header;
            int seq = buffer.getInt(TcpSegment.SEQUENCE_OFFSET, ByteOrder.BIG_ENDIAN);
            int flags = buffer.getByte(TcpSegment.FLAGS_OFFSET) & 0xff;
            UnsafeBuffer segment = new UnsafeBuffer(new byte[header + claimedSegmentSize]);
            for (int done = 0; done < payload; done += claimedSegmentSize) {
                int n = Math.min(claimedSegmentSize, payload - done);
                segment.putBytes(0, buffer, 0, header);
                segment.putBytes(header, buffer, header + done, n);
                segment.putInt(TcpSegment.SEQUENCE_OFFSET, seq + done, ByteOrder.BIG_ENDIAN);
                boolean last = done + n == payload;
                segment.putByte(TcpSegment.FLAGS_OFFSET,
                        (byte) (last ? flags : flags & ~(TcpSegment.FIN | TcpSegment.PSH)));
                // The pseudo-header sum covered the whole frame's length: swap in this segment's (one's complement).
                int adjusted = ~Checksum.finish(partial + (0xffff - claimedLength) + header + n) & 0xffff;
                completeChecksum(segment, 0, header + n, adjusted);
                send(nowNanos, segment, header + n);
            }
        }

        private static void completeChecksum(MutableDirectBuffer b, int offset, int length, int partial) {
            b.putShort(offset + TcpSegment.CHECKSUM_OFFSET, (short) partial, ByteOrder.BIG_ENDIAN);
            int sum = Checksum.compute(b, offset, length);
            b.putShort(offset + TcpSegment.CHECKSUM_OFFSET, (short) sum, ByteOrder.BIG_ENDIAN);
        }

        /** One packet onto the link: captured, filtered, delayed. */
        private void send(long nowNanos, DirectBuffer from, int length) {
            byte[] bytes = new byte[length];
            from.getBytes(0, bytes);
            TcpSegment view = new TcpSegment();
            view.wrap(new UnsafeBuffer(bytes), 0, bytes.length);
            int index = packetIndex++;
            captured.add(new Packet(nowNanos, index, address, claimedDestination, bytes));
            long decision = filter.decide(address, view, index);
            if (decision == Filter.DROP) {
                return;
            }
            inFlight.add(new Packet(nowNanos + delayNanos + decision, index, address, claimedDestination, bytes));
        }

        @Override
        public void abort(int l4Offset) {
        }

        @Override
        public int maxL4Length(int destination) {
            return mtu - 20;
        }
    }

    final TcpLayer a;
    final TcpLayer b;
    final Output outA;
    final Output outB;
    long now = 1_000_000_000L;
    long delayNanos = 1_000_000L;
    Filter filter = (s, seg, i) -> Filter.PASS;
    final List<Packet> captured = new ArrayList<>();
    boolean capture = true;
    private final PriorityQueue<Packet> inFlight = new PriorityQueue<>(
            (x, y) -> x.deliverAt != y.deliverAt ? Long.compare(x.deliverAt, y.deliverAt) : Long.compare(x.order, y.order));
    private int packetIndex;

    TwoLayerNetwork(TcpConfig config, int mtuA, int mtuB) {
        a = new TcpLayer(ADDRESS_A, config, new SecureRandom());
        b = new TcpLayer(ADDRESS_B, config, new SecureRandom());
        outA = new Output(ADDRESS_A, mtuA);
        outB = new Output(ADDRESS_B, mtuB);
    }

    TwoLayerNetwork(TcpConfig config) {
        this(config, 1500, 1500);
    }

    /** Runs the loop until {@code done} holds or {@code maxNanos} of fake time pass; returns whether it held. */
    boolean runUntil(BooleanSupplier done, long maxNanos, Runnable eachCycle) {
        long limit = now + maxNanos;
        while (!done.getAsBoolean()) {
            if (now > limit) {
                return false;
            }
            eachCycle.run();
            int work = a.poll(now, outA) + b.poll(now, outB);
            boolean delivered = false;
            while (!inFlight.isEmpty() && inFlight.peek().deliverAt <= now) {
                deliver(inFlight.poll());
                delivered = true;
            }
            if (!capture) {
                captured.clear();
            }
            if (work == 0 && !delivered) {
                long next = Math.min(a.nextDeadline(), b.nextDeadline());
                if (!inFlight.isEmpty()) {
                    next = Math.min(next, inFlight.peek().deliverAt);
                }
                now = next == Long.MAX_VALUE ? limit + 1 : Math.max(next, now + 1_000);
            }
        }
        return true;
    }

    boolean runUntil(BooleanSupplier done, long maxNanos) {
        return runUntil(done, maxNanos, () -> {
        });
    }

    /** Runs for {@code nanos} of fake time. */
    void runFor(long nanos) {
        long end = now + nanos;
        runUntil(() -> now >= end, nanos + 1);
    }

    /** Hands one raw segment to a layer as if it came from {@code source}. */
    void inject(int source, int destination, byte[] bytes) {
        deliver(new Packet(now, -1, source, destination, bytes));
    }

    private void deliver(Packet p) {
        boolean toA = p.destination == ADDRESS_A;
        (toA ? a : b).onSegment(now, p.source, p.destination, new UnsafeBuffer(p.bytes), 0, p.bytes.length, false,
                toA ? outA : outB);
    }

    /** Captured segments sent by {@code source}, as flyweights. */
    List<TcpSegment> sentBy(int source) {
        List<TcpSegment> list = new ArrayList<>();
        for (Packet p : captured) {
            if (p.source == source) {
                TcpSegment s = new TcpSegment();
                s.wrap(new UnsafeBuffer(p.bytes), 0, p.bytes.length);
                list.add(s);
            }
        }
        return list;
    }

    /** Opens B listening on {@code port} and A connecting to it; runs until both are established. */
    TcpSocket[] connect(int port, TcpConfig clientConfig, TcpConfig serverConfig) {
        TcpListener listener = b.listen(port, 8, serverConfig);
        TcpSocket client = a.connect(now, ADDRESS_B, port, 0, clientConfig);
        TcpSocket[] server = new TcpSocket[1];
        boolean ok = runUntil(() -> {
            if (server[0] == null) {
                server[0] = listener.accept();
            }
            return server[0] != null && client.state() == TcpState.ESTABLISHED;
        }, 10_000_000_000L);
        if (!ok) {
            throw new AssertionError("handshake did not complete: client " + client.state());
        }
        // One more cycle so both sides have clamped their send MSS to the route.
        a.poll(now, outA);
        b.poll(now, outB);
        return new TcpSocket[] {client, server[0]};
    }
}
