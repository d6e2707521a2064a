package dev.tapir.engine.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tapir.engine.iperf3.Iperf3DatagramHeader;
import dev.tapir.engine.transport.DatagramBatch;
import dev.tapir.engine.transport.DatagramEndpoint;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The --verify pattern, its sender side in the TCP and UDP loops and the receive-side check down to the byte. */
class VerifyTest {
    private static final long SECOND = 1_000_000_000L;
    private static final VerifyPattern PATTERN = new VerifyPattern(42);

    private static TestSpec tcp(int length, long bytes) {
        return new TestSpec(Protocol.TCP, length, bytes, 0, 0, SECOND, 0, 1, false, false, null, null, true);
    }

    @Test
    void patternIsDeterministicPerSeedAndRepeatsItsStartAfterThePeriod() {
        VerifyPattern again = new VerifyPattern(42);
        VerifyPattern other = new VerifyPattern(43);
        long size = VerifyPattern.PERIOD + VerifyPattern.MAX_SLICE;
        assertEquals(-1, PATTERN.memory().asSlice(0, size).mismatch(again.memory().asSlice(0, size)));
        // Different seeds differ at once (a random byte matches with probability 1/256; seed 43 differs in byte 0..7).
        assertTrue(PATTERN.memory().asSlice(0, size).mismatch(other.memory().asSlice(0, size)) < 8);
        // The extension is the start again, so a slice across the period's end is the pattern unwrapped.
        assertEquals(-1, MemorySegment.mismatch(PATTERN.memory(), 0, VerifyPattern.MAX_SLICE, PATTERN.memory(),
                VerifyPattern.PERIOD, VerifyPattern.PERIOD + VerifyPattern.MAX_SLICE));
        assertEquals(PATTERN.byteAt(0), PATTERN.byteAt(VerifyPattern.PERIOD));
        assertEquals(PATTERN.byteAt(12_345), PATTERN.byteAt(3L * VerifyPattern.PERIOD + 12_345));
        assertEquals(5, VerifyPattern.offsetOf(7L * VerifyPattern.PERIOD + 5));
        // Not a repeating filler: the 256 byte values occur about equally often over one period.
        int[] histogram = new int[256];
        for (int i = 0; i < VerifyPattern.PERIOD; i++) {
            histogram[Byte.toUnsignedInt(PATTERN.memory().get(ValueLayout.JAVA_BYTE, i))]++;
        }
        for (int count : histogram) {
            assertTrue(count > 3_500 && count < 4_700, "byte value count " + count);
        }
        assertNotEquals(VerifyPattern.streamStart(1), VerifyPattern.streamStart(3));
    }

    /** A sink that feeds what the sender writes, in pieces of at most {@code piece} bytes, to a verifier. */
    static final class VerifyingSink extends LoopsInMemoryTest.PatternSink {
        final PayloadVerifier verifier;
        final List<Long> writeOffsets = new ArrayList<>();

        VerifyingSink(PayloadVerifier verifier, int piece) {
            super(1, piece);
            this.verifier = verifier;
        }

        @Override
        public int write(MemorySegment src, long offset, int length, int timeoutMillis) {
            int n = Math.min(length, piece);
            writeOffsets.add(offset);
            verifier.onStreamBytes(src, offset, n);
            received += n;
            return n;
        }
    }

    @Test
    void tcpSenderWritesThePatternAcrossSeveralPeriodsAndTheVerifierAgrees() {
        long bytes = 2L * VerifyPattern.PERIOD + 123_457;
        PayloadVerifier verifier = PayloadVerifier.forStream(PATTERN, 3);
        VerifyingSink sink = new VerifyingSink(verifier, 70_001);
        StreamCounters counters = new StreamCounters();
        TcpSender sender = new TcpSender(tcp(100_000, bytes), sink, counters, TestClock.start(), new StopSignal(),
                PATTERN, 3);
        sender.run();
        assertNull(sender.failure());
        assertEquals(bytes, sink.received);
        assertEquals(bytes, verifier.bytesChecked());
        assertEquals(-1, verifier.firstBadOffset());
        // Zero copy: every write is a slice of the pattern's own memory, at the stream's position in the pattern.
        assertEquals(VerifyPattern.streamStart(3), sink.writeOffsets.get(0));
        assertEquals(VerifyPattern.offsetOf(VerifyPattern.streamStart(3) + 70_001), sink.writeOffsets.get(1));
        assertTrue(sink.writeOffsets.stream().allMatch(o -> o < VerifyPattern.PERIOD));
    }

    /** Serves stream {@code streamId} of the pattern in pieces, with the byte at {@code badOffset} flipped. */
    static final class CorruptingSource extends LoopsInMemoryTest.PatternSink {
        final long total;
        final long badOffset;
        final long start;
        long given;

        CorruptingSource(int streamId, long total, int piece, long badOffset) {
            super(1, piece);
            this.total = total;
            this.badOffset = badOffset;
            this.start = VerifyPattern.streamStart(streamId);
        }

        @Override
        public int read(MemorySegment dst, long offset, int length, int timeoutMillis) {
            if (given == total) {
                return EOF;
            }
            int n = (int) Math.min(Math.min(length, piece), total - given);
            for (int i = 0; i < n; i++) {
                byte b = PATTERN.byteAt(start + given + i);
                dst.set(ValueLayout.JAVA_BYTE, offset + i, given + i == badOffset ? (byte) (b ^ 0x10) : b);
            }
            given += n;
            return n;
        }
    }

    @Test
    void tcpReceiverReportsTheExactOffsetOfACorruptedByte() {
        long total = 3_000_000;
        long bad = VerifyPattern.PERIOD + 77_777; // past the pattern's first wrap, inside a 65 000-byte read
        for (long badOffset : new long[] {bad, 0, total - 1, -1}) {
            PayloadVerifier verifier = PayloadVerifier.forStream(PATTERN, 5);
            TcpReceiver receiver = new TcpReceiver(new CorruptingSource(5, total, 65_000, badOffset),
                    new StreamCounters(), new StopSignal(), verifier);
            receiver.run();
            assertTrue(receiver.endOfStream());
            assertEquals(total, verifier.bytesChecked());
            assertEquals(badOffset, verifier.firstBadOffset(), "flipped byte " + badOffset);
            if (badOffset >= 0) {
                int expected = Byte.toUnsignedInt(PATTERN.byteAt(VerifyPattern.streamStart(5) + badOffset));
                assertEquals(expected, verifier.expected());
                assertEquals(expected ^ 0x10, verifier.actual());
            }
        }
    }

    @Test
    void theWrongStreamsBytesDoNotPass() {
        PayloadVerifier verifier = PayloadVerifier.forStream(PATTERN, 4);
        new TcpReceiver(new CorruptingSource(1, 10_000, 4096, -1), new StreamCounters(), new StopSignal(), verifier)
                .run();
        assertTrue(verifier.firstBadOffset() >= 0 && verifier.firstBadOffset() < 8, "at " + verifier.firstBadOffset());
    }

    /** Records every datagram the sender hands over, with its bytes. */
    static final class CapturingEndpoint implements DatagramEndpoint {
        final List<byte[]> datagrams = new ArrayList<>();
        final List<byte[]> toDeliver = new ArrayList<>();

        @Override
        public void connect(InetSocketAddress remote) {
        }

        @Override
        public void sendTo(MemorySegment src, long offset, int length, InetSocketAddress to) {
        }

        @Override
        public InetSocketAddress lastSource() {
            return null;
        }

        @Override
        public int preferredBatch() {
            return 16;
        }

        @Override
        public InetSocketAddress localAddress() {
            return null;
        }

        @Override
        public void close() {
        }

        @Override
        public int send(MemorySegment src, long offset, int datagramLength, int count) {
            for (int i = 0; i < count; i++) {
                datagrams.add(src.asSlice(offset + (long) i * datagramLength, datagramLength)
                        .toArray(ValueLayout.JAVA_BYTE));
            }
            return count;
        }

        @Override
        public int receive(DatagramBatch batch, int timeoutMillis) {
            batch.clear();
            long at = 0;
            while (!toDeliver.isEmpty() && batch.count() < batch.capacity()) {
                byte[] d = toDeliver.removeFirst();
                MemorySegment.copy(d, 0, batch.buffer(), ValueLayout.JAVA_BYTE, at, d.length);
                batch.add(at, d.length);
                at += d.length;
            }
            return batch.count();
        }
    }

    @Test
    void udpPayloadIsCheckedByDatagramNumberDespiteLossReorderAndDuplicates() {
        int length = 1000;
        Iperf3DatagramHeader codec = new Iperf3DatagramHeader(false);
        TestSpec spec = new TestSpec(Protocol.UDP, length, 0, 2_000, 0, SECOND, 0, 1, false, false, null, null, true);
        CapturingEndpoint endpoint = new CapturingEndpoint();
        new UdpSender(spec, endpoint, new StreamCounters(), codec, TestClock.start(), new StopSignal(), PATTERN, 1)
                .run();
        assertEquals(2_000, endpoint.datagrams.size());
        // Lose every 7th, swap neighbours every 10th, deliver every 13th twice; flip payload byte 100 of number 1500
        // and a timestamp byte (header, not pattern) of number 20.
        List<byte[]> sent = endpoint.datagrams;
        sent.get(1499)[100] ^= 0x01;
        sent.get(19)[2] ^= 0x01;
        long payload = 0;
        for (int i = 0; i < sent.size(); i++) {
            int pick = i % 10 == 0 && i + 1 < sent.size() ? i + 1 : i % 10 == 1 ? i - 1 : i;
            if (pick % 7 == 6) {
                continue;
            }
            endpoint.toDeliver.add(sent.get(pick));
            payload += length - codec.minimumLength();
            if (pick % 13 == 0) {
                endpoint.toDeliver.add(sent.get(pick));
                payload += length - codec.minimumLength();
            }
        }
        PayloadVerifier verifier = PayloadVerifier.forDatagrams(PATTERN, 1, length, codec.minimumLength());
        StopSignal stop = new StopSignal();
        UdpReceiver receiver = new UdpReceiver(endpoint, new StreamCounters(new UdpReceiveStats()), codec,
                TestClock.start(), stop, length, 1, verifier);
        receiver.run();
        assertNull(receiver.failure());
        assertEquals(payload, verifier.bytesChecked());
        assertEquals(1499L * length + 100, verifier.firstBadOffset());
        int expected = Byte.toUnsignedInt(PATTERN.byteAt(VerifyPattern.streamStart(1) + 1499L * length + 100));
        assertEquals(expected, verifier.expected());
        assertEquals(expected ^ 0x01, verifier.actual());
    }
}
