package dev.tapir.engine.stack.tcp;

import static dev.tapir.engine.stack.tcp.TwoLayerNetwork.ADDRESS_A;
import static dev.tapir.engine.stack.tcp.TwoLayerNetwork.ADDRESS_B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;

class TcpConnectionTest {
    private static final long SECOND = 1_000_000_000L;

    private static TcpConfig config() {
        return new TcpConfig().sendBufferBytes(256 * 1024).receiveBufferBytes(256 * 1024).mslNanos(SECOND);
    }

    @Test
    void handshakeNegotiatesMssWindowScaleSackAndTimestamps() {
        TwoLayerNetwork net = new TwoLayerNetwork(config(), 1500, 9000);
        TcpSocket[] pair = net.connect(5001, config(), config());
        TcpSocket client = pair[0];
        TcpSocket server = pair[1];
        assertEquals(TcpState.ESTABLISHED, server.state());
        List<TcpSegment> fromA = net.sentBy(ADDRESS_A);
        TcpOptions syn = new TcpOptions();
        assertTrue(fromA.get(0).hasFlag(TcpSegment.SYN));
        assertTrue(fromA.get(0).parseOptions(syn));
        assertEquals(1460, syn.mss);
        assertEquals(3, syn.windowScale); // 256 KiB >> 3 fits 16 bits
        assertTrue(syn.sackPermitted);
        assertTrue(syn.timestamps);
        TcpOptions synAck = new TcpOptions();
        TcpSegment sa = net.sentBy(ADDRESS_B).get(0);
        assertEquals(TcpSegment.SYN | TcpSegment.ACK, sa.flags());
        assertTrue(sa.parseOptions(synAck));
        assertEquals(8960, synAck.mss);
        assertEquals(syn.tsVal, synAck.tsEcr);
        // Each side clamps its send MSS to its own route and the peer's MSS, less the 12 timestamp bytes.
        assertEquals(1448, client.sendMss());
        assertEquals(1448, server.sendMss());
        assertTrue(client.sackEnabled() && server.sackEnabled());
        assertTrue(client.timestampsEnabled() && server.timestampsEnabled());
        assertEquals(3, client.sendWindowShift());
        assertEquals(3, server.receiveWindowShift());
    }

    @Test
    void optionsAreOffWhenThePeerDoesNotOfferThem() {
        TwoLayerNetwork net = new TwoLayerNetwork(config());
        TcpConfig plain = config().sack(false).timestamps(false).windowScaling(false);
        TcpSocket[] pair = net.connect(5001, plain, config());
        assertFalse(pair[1].sackEnabled());
        assertFalse(pair[1].timestampsEnabled());
        assertEquals(0, pair[1].receiveWindowShift());
        assertEquals(1460, pair[0].sendMss());
        assertTransfer(net, pair[0], pair[1], 300_000);
    }

    @Test
    void mssIsClampedToTheConfiguredValueAndTheRoute() {
        TwoLayerNetwork net = new TwoLayerNetwork(config(), 9000, 9000);
        TcpSocket[] pair = net.connect(5001, config().mss(1000), config());
        assertEquals(1000 - 12, pair[0].sendMss());
        assertEquals(1000 - 12, pair[1].sendMss());
        net.captured.clear();
        assertTransfer(net, pair[0], pair[1], 100_000);
        for (TcpSegment s : net.sentBy(ADDRESS_A)) {
            assertTrue(s.payloadLength() <= 988, "payload " + s.payloadLength());
        }
    }

    @Test
    void initialSequenceNumbersDifferPerConnection() {
        TwoLayerNetwork net = new TwoLayerNetwork(config());
        TcpSocket s1 = net.a.connect(net.now, ADDRESS_B, 80, 40000, config());
        TcpSocket s2 = net.a.connect(net.now, ADDRESS_B, 80, 40001, config());
        TcpSocket s3 = net.a.connect(net.now, ADDRESS_B, 81, 40000, config());
        assertNotEquals(s1.iss(), s2.iss());
        assertNotEquals(s1.iss(), s3.iss());
        assertNotEquals(s2.iss(), s3.iss());
    }

    @Test
    void simultaneousOpenEstablishesBothSides() {
        TwoLayerNetwork net = new TwoLayerNetwork(config());
        TcpSocket a = net.a.connect(net.now, ADDRESS_B, 7000, 6000, config());
        TcpSocket b = net.b.connect(net.now, ADDRESS_A, 6000, 7000, config());
        assertTrue(net.runUntil(() -> a.state() == TcpState.ESTABLISHED && b.state() == TcpState.ESTABLISHED,
                5 * SECOND));
        assertTransfer(net, a, b, 50_000);
        assertTransfer(net, b, a, 50_000);
    }

    @Test
    void aBatchOfSegmentsIsAcknowledgedEvery64KiBNotOnlyAtItsEnd() {
        TwoLayerNetwork net = new TwoLayerNetwork(config());
        TcpSocket[] pair = net.connect(5001, config(), config());
        assertTransfer(net, pair[0], pair[1], 2 << 20); // opens A's congestion window to B's whole 256 KiB window
        net.captured.clear();
        MemorySegment data = Arena.ofAuto().allocate(256 * 1024);
        int written = pair[0].write(data, 0, 256 * 1024);
        // A sends its window at one instant, so it reaches B as one batch of segments between two of B's polls, as a
        // queue of frames reaches a stack.
        assertTrue(net.runUntil(() -> pair[1].readableBytes() == written, SECOND));
        net.runFor(SECOND / 100); // B's poll after the batch sends the last ACK
        List<TcpSegment> fromA = net.sentBy(ADDRESS_A);
        long sentAt = -1;
        int burst = 0;
        for (TwoLayerNetwork.Packet p : net.captured) { // a captured packet's deliverAt is when it was sent
            if (p.source() == ADDRESS_A && (sentAt < 0 || p.deliverAt() == sentAt)) {
                sentAt = p.deliverAt();
                burst++;
            }
        }
        assertTrue(burst * 1448L > TcpSocket.ACK_BATCH_BYTES + 1448, "one burst of " + burst + " segments");
        int previous = fromA.get(0).sequenceNumber();
        int acks = 0;
        for (TcpSegment ack : net.sentBy(ADDRESS_B)) {
            int acked = ack.acknowledgmentNumber() - previous;
            assertTrue(acked <= TcpSocket.ACK_BATCH_BYTES + 1448, "one ACK covered " + acked + " bytes");
            previous = ack.acknowledgmentNumber();
            acks++;
        }
        assertEquals(fromA.get(0).sequenceNumber() + written, previous);
        assertTrue(acks >= written / (TcpSocket.ACK_BATCH_BYTES + 1448), acks + " ACKs");
    }

    @Test
    void activeCloseVisitsFinWait1FinWait2TimeWaitAndPassiveCloseWaitLastAck() {
        TwoLayerNetwork net = new TwoLayerNetwork(config());
        TcpSocket[] pair = net.connect(5001, config(), config());
        TcpSocket client = pair[0];
        TcpSocket server = pair[1];
        client.shutdownOutput();
        net.a.poll(net.now, net.outA);
        assertEquals(TcpState.FIN_WAIT_1, client.state());
        assertTrue(net.runUntil(() -> client.state() == TcpState.FIN_WAIT_2, SECOND));
        assertEquals(TcpState.CLOSE_WAIT, server.state());
        MemorySegment buf = Arena.ofAuto().allocate(16);
        assertEquals(-1, server.read(buf, 0, 16));
        server.close();
        net.b.poll(net.now, net.outB);
        assertEquals(TcpState.LAST_ACK, server.state());
        assertTrue(net.runUntil(() -> server.state() == TcpState.CLOSED, SECOND));
        assertEquals(TcpState.TIME_WAIT, client.state());
        assertFalse(server.isReset());
        long enteredTimeWait = net.now;
        assertTrue(net.runUntil(() -> client.state() == TcpState.CLOSED, 10 * SECOND));
        assertTrue(net.now - enteredTimeWait >= 2 * SECOND - 5_000_000, "TIME_WAIT lasted 2 MSL");
        assertEquals(0, net.a.socketCount());
        assertEquals(0, net.b.socketCount());
    }

    @Test
    void simultaneousCloseGoesThroughClosing() {
        TwoLayerNetwork net = new TwoLayerNetwork(config());
        TcpSocket[] pair = net.connect(5001, config(), config());
        pair[0].shutdownOutput();
        pair[1].shutdownOutput();
        net.a.poll(net.now, net.outA);
        net.b.poll(net.now, net.outB);
        assertEquals(TcpState.FIN_WAIT_1, pair[0].state());
        assertEquals(TcpState.FIN_WAIT_1, pair[1].state());
        boolean[] sawClosing = new boolean[1];
        assertTrue(net.runUntil(() -> pair[0].state() == TcpState.TIME_WAIT && pair[1].state() == TcpState.TIME_WAIT,
                SECOND, () -> sawClosing[0] |= pair[0].state() == TcpState.CLOSING));
        assertTrue(sawClosing[0]);
        assertTrue(net.runUntil(() -> pair[0].state() == TcpState.CLOSED && pair[1].state() == TcpState.CLOSED,
                5 * SECOND));
    }

    @Test
    void connectToClosedPortIsReset() {
        TwoLayerNetwork net = new TwoLayerNetwork(config());
        TcpSocket s = net.a.connect(net.now, ADDRESS_B, 9, 0, config());
        assertTrue(net.runUntil(() -> s.state() == TcpState.CLOSED, SECOND));
        assertTrue(s.isReset());
        assertEquals(1, net.b.counters().get(TcpCounters.DROPPED_NO_SOCKET));
        assertEquals(1, net.b.counters().get(TcpCounters.RESETS_SENT));
    }

    @Test
    void abortResetsThePeerInEstablishedAndCloseWait() {
        TwoLayerNetwork net = new TwoLayerNetwork(config());
        TcpSocket[] pair = net.connect(5001, config(), config());
        pair[0].abort();
        assertTrue(net.runUntil(() -> pair[1].state() == TcpState.CLOSED, SECOND));
        assertTrue(pair[1].isReset());
        assertEquals(-1, pair[1].read(Arena.ofAuto().allocate(8), 0, 8));
        assertEquals(-1, pair[1].write(Arena.ofAuto().allocate(8), 0, 8));

        TcpSocket[] pair2 = net.connect(5002, config(), config());
        pair2[0].shutdownOutput();
        assertTrue(net.runUntil(() -> pair2[0].state() == TcpState.FIN_WAIT_2, SECOND));
        assertEquals(TcpState.CLOSE_WAIT, pair2[1].state());
        pair2[1].abort();
        assertTrue(net.runUntil(() -> pair2[0].state() == TcpState.CLOSED, SECOND));
        assertTrue(pair2[0].isReset());
    }

    @Test
    void resetWithInexactSequenceGetsAChallengeAckNotAReset() {
        TwoLayerNetwork net = new TwoLayerNetwork(config());
        TcpSocket[] pair = net.connect(5001, config(), config());
        // Forge a RST from A to B whose sequence number is inside B's window but not RCV.NXT (RFC 5961 §3.2).
        TcpSegment last = net.sentBy(ADDRESS_A).getLast();
        byte[] rst = new byte[20];
        org.agrona.concurrent.UnsafeBuffer buf = new org.agrona.concurrent.UnsafeBuffer(rst);
        new TcpSegment().wrapForWrite(buf, 0, 20).sourcePort(last.sourcePort()).destinationPort(5001)
                .sequenceNumber(last.sequenceNumber() + 1000).acknowledgmentNumber(0).headerLength(20)
                .flags(TcpSegment.RST).window(0).urgentPointer(0).computeChecksum(ADDRESS_A, ADDRESS_B);
        net.inject(ADDRESS_A, ADDRESS_B, rst);
        assertEquals(TcpState.ESTABLISHED, pair[1].state());
        assertEquals(1, pair[1].counters().get(TcpCounters.CONN_CHALLENGE_ACKS));
        // The exact sequence number resets.
        new TcpSegment().wrapForWrite(buf, 0, 20).sequenceNumber(last.sequenceNumber())
                .computeChecksum(ADDRESS_A, ADDRESS_B);
        net.inject(ADDRESS_A, ADDRESS_B, rst);
        assertEquals(TcpState.CLOSED, pair[1].state());
        assertTrue(pair[1].isReset());
    }

    @Test
    void resetInSynReceivedFreesTheHalfOpenSlot() {
        TwoLayerNetwork net = new TwoLayerNetwork(config());
        TcpListener listener = net.b.listen(5001, 4, config());
        // Drop B's SYN-ACK so B stays in SYN_RECEIVED, then A aborts: its RST carries the right sequence number.
        net.filter = (src, seg, i) -> src == ADDRESS_B ? TwoLayerNetwork.Filter.DROP : TwoLayerNetwork.Filter.PASS;
        TcpSocket s = net.a.connect(net.now, ADDRESS_B, 5001, 0, config());
        net.runFor(100_000_000L);
        assertEquals(1, listener.halfOpen());
        assertEquals(TcpState.SYN_SENT, s.state());
        byte[] rst = new byte[20];
        org.agrona.concurrent.UnsafeBuffer buf = new org.agrona.concurrent.UnsafeBuffer(rst);
        new TcpSegment().wrapForWrite(buf, 0, 20).sourcePort(s.localPort()).destinationPort(5001)
                .sequenceNumber(s.iss() + 1).acknowledgmentNumber(0).headerLength(20).flags(TcpSegment.RST)
                .window(0).urgentPointer(0).computeChecksum(ADDRESS_A, ADDRESS_B);
        net.inject(ADDRESS_A, ADDRESS_B, rst);
        assertEquals(0, listener.halfOpen());
        net.b.poll(net.now, net.outB);
        assertEquals(0, net.b.socketCount());
    }

    @Test
    void badChecksumIsCountedDroppedAndRecoveredByRetransmission() {
        TwoLayerNetwork net = new TwoLayerNetwork(config());
        TcpSocket[] pair = net.connect(5001, config(), config());
        int[] corrupted = new int[1];
        net.filter = (src, seg, i) -> {
            if (src == ADDRESS_A && seg.payloadLength() > 0 && corrupted[0] == 0) {
                corrupted[0]++;
                ((org.agrona.MutableDirectBuffer) seg.buffer()).putByte(seg.payloadOffset() + 7,
                        (byte) ~seg.buffer().getByte(seg.payloadOffset() + 7));
            }
            return TwoLayerNetwork.Filter.PASS;
        };
        assertTransfer(net, pair[0], pair[1], 100_000);
        assertEquals(1, net.b.counters().get(TcpCounters.DROPPED_BAD_CHECKSUM));
        assertTrue(pair[0].counters().get(TcpCounters.CONN_RETRANSMITS) >= 1);
    }

    @Test
    void synFloodIsBoundedByTheHalfOpenLimit() {
        TwoLayerNetwork net = new TwoLayerNetwork(config());
        net.b.maxHalfOpen(16);
        TcpListener listener = net.b.listen(5001, 64, config());
        byte[] syn = new byte[20];
        org.agrona.concurrent.UnsafeBuffer buf = new org.agrona.concurrent.UnsafeBuffer(syn);
        for (int i = 0; i < 50; i++) {
            new TcpSegment().wrapForWrite(buf, 0, 20).sourcePort(20000 + i).destinationPort(5001)
                    .sequenceNumber(i * 7919).acknowledgmentNumber(0).headerLength(20).flags(TcpSegment.SYN)
                    .window(65535).urgentPointer(0).computeChecksum(ADDRESS_A, ADDRESS_B);
            net.inject(ADDRESS_A, ADDRESS_B, syn);
        }
        assertEquals(16, listener.halfOpen());
        assertEquals(16, net.b.socketCount());
        assertEquals(34, net.b.counters().get(TcpCounters.DROPPED_HALF_OPEN_FULL));
    }

    @Test
    void ringsAreAllocatedWhenTheHandshakeCompletesNotPerSyn() {
        TwoLayerNetwork net = new TwoLayerNetwork(config());
        TcpListener listener = net.b.listen(5001, 64, config());
        byte[] syn = new byte[20];
        org.agrona.concurrent.UnsafeBuffer buf = new org.agrona.concurrent.UnsafeBuffer(syn);
        for (int i = 0; i < 100; i++) {
            new TcpSegment().wrapForWrite(buf, 0, 20).sourcePort(30000 + i).destinationPort(5001)
                    .sequenceNumber(i * 104729).acknowledgmentNumber(0).headerLength(20).flags(TcpSegment.SYN)
                    .window(65535).urgentPointer(0).computeChecksum(ADDRESS_A, ADDRESS_B);
            net.inject(ADDRESS_A, ADDRESS_B, syn);
        }
        net.b.poll(net.now, net.outB);
        assertEquals(100, listener.halfOpen());
        assertEquals(100, net.outB.sent, "every SYN was answered with a SYN-ACK");
        assertEquals(0, net.b.counters().get(TcpCounters.RINGS_ALLOCATED), "half-open sockets hold no rings");

        TcpSocket[] pair = net.connect(5002, config(), config());
        assertTrue(pair[1].hasRings());
        assertEquals(1, net.b.counters().get(TcpCounters.RINGS_ALLOCATED), "the completed handshake got rings");
        assertEquals(1, net.a.counters().get(TcpCounters.RINGS_ALLOCATED), "an active open gets them at once");
        assertTransfer(net, pair[0], pair[1], 50_000);
    }

    @Test
    void retransmissionTimeoutBacksOffExponentially() {
        TwoLayerNetwork net = new TwoLayerNetwork(config());
        TcpSocket[] pair = net.connect(5001, config(), config());
        long rto = pair[0].retransmissionTimeoutNanos();
        List<Long> sendTimes = new java.util.ArrayList<>();
        long[] clock = {0};
        net.filter = (src, seg, i) -> {
            if (src == ADDRESS_A && seg.payloadLength() > 0 && sendTimes.size() < 4) {
                sendTimes.add(net.now);
                return TwoLayerNetwork.Filter.DROP;
            }
            return TwoLayerNetwork.Filter.PASS;
        };
        clock[0] = net.now;
        assertTransfer(net, pair[0], pair[1], 1000);
        assertEquals(4, sendTimes.size());
        assertEquals(rto, sendTimes.get(1) - sendTimes.get(0), 2_000_000.0);
        assertEquals(2 * rto, sendTimes.get(2) - sendTimes.get(1), 2_000_000.0);
        assertEquals(4 * rto, sendTimes.get(3) - sendTimes.get(2), 2_000_000.0);
        assertEquals(4, pair[0].counters().get(TcpCounters.CONN_RTO_EXPIRIES));
        assertEquals(4, pair[0].counters().get(TcpCounters.CONN_RETRANSMITS));
    }

    @Test
    void fastRetransmitOnThreeDuplicateAcksWithoutSack() {
        TwoLayerNetwork net = new TwoLayerNetwork(config());
        TcpConfig noSack = config().sack(false);
        TcpSocket[] pair = net.connect(5001, noSack, noSack);
        int[] dataSegments = new int[1];
        net.filter = (src, seg, i) -> src == ADDRESS_A && seg.payloadLength() > 0 && ++dataSegments[0] == 3
                ? TwoLayerNetwork.Filter.DROP : TwoLayerNetwork.Filter.PASS;
        assertTransfer(net, pair[0], pair[1], 40 * 1448);
        assertEquals(1, pair[0].counters().get(TcpCounters.CONN_FAST_RETRANSMITS));
        assertEquals(1, pair[0].counters().get(TcpCounters.CONN_RETRANSMITS));
        assertEquals(0, pair[0].counters().get(TcpCounters.CONN_RTO_EXPIRIES));
        assertTrue(pair[0].counters().get(TcpCounters.CONN_DUP_ACKS) >= 3);
    }

    @Test
    void sackRecoversThreeHolesWithoutTimeout() {
        TwoLayerNetwork net = new TwoLayerNetwork(config());
        TcpSocket[] pair = net.connect(5001, config(), config());
        int[] dataSegments = new int[1];
        net.filter = (src, seg, i) -> {
            if (src == ADDRESS_A && seg.payloadLength() > 0) {
                int n = ++dataSegments[0];
                if (n == 3 || n == 6 || n == 9) {
                    return TwoLayerNetwork.Filter.DROP;
                }
            }
            return TwoLayerNetwork.Filter.PASS;
        };
        assertTransfer(net, pair[0], pair[1], 40 * 1448);
        assertEquals(0, pair[0].counters().get(TcpCounters.CONN_RTO_EXPIRIES));
        assertEquals(3, pair[0].counters().get(TcpCounters.CONN_RETRANSMITS));
        assertEquals(1, pair[0].counters().get(TcpCounters.CONN_FAST_RETRANSMITS));
        assertTrue(pair[0].counters().get(TcpCounters.CONN_SACK_BLOCKS_RECEIVED) > 0);
        assertTrue(pair[1].counters().get(TcpCounters.CONN_OUT_OF_ORDER_SEGMENTS) > 0);
    }

    @Test
    void zeroWindowIsProbedWithBackoffAndTransferResumesWhenTheReaderReads() {
        TwoLayerNetwork net = new TwoLayerNetwork(config());
        TcpSocket[] pair = net.connect(5001, config(), config().receiveBufferBytes(16 * 1024));
        StreamPattern pattern = new StreamPattern(7);
        long total = 200_000;
        List<Long> probeTimes = new java.util.ArrayList<>();
        net.filter = (src, seg, i) -> {
            if (src == ADDRESS_A && seg.payloadLength() == 1) {
                probeTimes.add(net.now);
            }
            return TwoLayerNetwork.Filter.PASS;
        };
        net.runUntil(() -> probeTimes.size() >= 4, 30 * SECOND, () -> pattern.write(pair[0], total));
        assertEquals(4, probeTimes.size());
        assertTrue(probeTimes.get(2) - probeTimes.get(1) > probeTimes.get(1) - probeTimes.get(0));
        assertTrue(probeTimes.get(3) - probeTimes.get(2) > probeTimes.get(2) - probeTimes.get(1));
        assertTrue(pair[0].counters().get(TcpCounters.CONN_ZERO_WINDOW_PROBES) >= 4);
        assertTrue(net.runUntil(() -> pattern.read == total, 30 * SECOND, () -> {
            pattern.write(pair[0], total);
            pattern.readAndCheck(pair[1]);
        }));
        assertTrue(pair[1].counters().get(TcpCounters.CONN_WINDOW_UPDATES) > 0);
    }

    @Test
    void windowScalingAdvertisesMoreThan64KiB() {
        TwoLayerNetwork net = new TwoLayerNetwork(config());
        TcpConfig big = config().receiveBufferBytes(1 << 20).sendBufferBytes(1 << 20);
        TcpSocket[] pair = net.connect(5001, big, big);
        assertEquals(5, pair[1].receiveWindowShift());
        assertEquals(5, pair[0].sendWindowShift());
        assertTransfer(net, pair[0], pair[1], 2_000_000);
        assertTrue(pair[0].sendWindow() > 65535, "scaled window " + pair[0].sendWindow());
        long maxSeen = 0;
        for (TcpSegment s : net.sentBy(ADDRESS_B)) {
            if (!s.hasFlag(TcpSegment.SYN)) {
                maxSeen = Math.max(maxSeen, (long) s.window() << 5);
            }
        }
        assertTrue(maxSeen > 900_000, "largest advertised window " + maxSeen);
    }

    @Test
    void timestampsAreEchoedAndMeasureTheRoundTrip() {
        TwoLayerNetwork net = new TwoLayerNetwork(config());
        net.delayNanos = 5_000_000L;
        TcpSocket[] pair = net.connect(5001, config(), config());
        assertTransfer(net, pair[0], pair[1], 200_000);
        long srtt = pair[0].counters().get(TcpCounters.CONN_SRTT_NANOS);
        assertTrue(srtt >= 9_000_000L && srtt <= 12_000_000L, "srtt " + srtt);
        TcpOptions fromA = new TcpOptions();
        TcpOptions fromB = new TcpOptions();
        List<TcpSegment> a = net.sentBy(ADDRESS_A);
        List<TcpSegment> b = net.sentBy(ADDRESS_B);
        TcpSegment lastA = a.get(a.size() - 2);
        lastA.parseOptions(fromA);
        boolean echoed = false;
        for (TcpSegment s : b) {
            s.parseOptions(fromB);
            echoed |= fromB.timestamps && fromB.tsEcr == fromA.tsVal;
        }
        assertTrue(echoed, "B echoes A's timestamp");
    }

    @Test
    void listenerAcceptsSeveralConnectionsAndDemultiplexes() {
        TwoLayerNetwork net = new TwoLayerNetwork(config());
        TcpListener l = net.b.listen(5201, 8, config());
        TcpSocket c1 = net.a.connect(net.now, ADDRESS_B, 5201, 0, config());
        TcpSocket c2 = net.a.connect(net.now, ADDRESS_B, 5201, 0, config());
        TcpSocket[] accepted = new TcpSocket[2];
        int[] n = {0};
        assertTrue(net.runUntil(() -> {
            TcpSocket s;
            while ((s = l.accept()) != null) {
                accepted[n[0]++] = s;
            }
            return n[0] == 2;
        }, SECOND));
        assertNotNull(accepted[1]);
        TcpSocket s1 = accepted[0].remotePort() == c1.localPort() ? accepted[0] : accepted[1];
        TcpSocket s2 = s1 == accepted[0] ? accepted[1] : accepted[0];
        assertTransfer(net, c1, s1, 30_000);
        assertTransfer(net, c2, s2, 30_000);
        assertEquals(2, net.b.counters().get(TcpCounters.CONNECTIONS_ACCEPTED));
    }

    /** Sends {@code bytes} of a pattern from one socket to the other and checks every byte arrives in order. */
    @Test
    void limitedTransmitRecoversALossInAThreeSegmentWindowWithoutTimeout() {
        // With three segments in flight and the first lost, the two behind it bring only two SACKs (or duplicate
        // ACKs): fast retransmit needs three, so without Limited Transmit (RFC 3042) only the RTO would recover.
        for (boolean sack : new boolean[] {true, false}) {
            TcpConfig small = config().sack(sack).initialWindowSegments(3);
            TwoLayerNetwork net = new TwoLayerNetwork(small);
            TcpSocket[] pair = net.connect(5001, small, small);
            int[] dataSegments = new int[1];
            net.filter = (src, seg, i) -> src == ADDRESS_A && seg.payloadLength() > 0 && ++dataSegments[0] == 1
                    ? TwoLayerNetwork.Filter.DROP : TwoLayerNetwork.Filter.PASS;
            long start = net.now;
            assertTransfer(net, pair[0], pair[1], 20 * 1448);
            String what = sack ? "SACK" : "no SACK";
            assertEquals(0, pair[0].counters().get(TcpCounters.CONN_RTO_EXPIRIES), what);
            assertEquals(1, pair[0].counters().get(TcpCounters.CONN_FAST_RETRANSMITS), what);
            assertEquals(1, pair[0].counters().get(TcpCounters.CONN_RETRANSMITS), what);
            // Done in a few round trips of 1 ms, far below the 200 ms minimum RTO.
            assertTrue(net.now - start < 50_000_000L, what + ": took " + (net.now - start) + " ns");
        }
    }

    static void assertTransfer(TwoLayerNetwork net, TcpSocket from, TcpSocket to, long bytes) {
        StreamPattern pattern = new StreamPattern(bytes);
        assertTrue(net.runUntil(() -> pattern.read == bytes, 120 * SECOND, () -> {
            pattern.write(from, bytes);
            pattern.readAndCheck(to);
        }), "transferred " + pattern.read + " of " + bytes);
        assertEquals(bytes, pattern.read);
    }
}
