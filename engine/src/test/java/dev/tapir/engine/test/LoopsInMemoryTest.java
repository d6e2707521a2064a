package dev.tapir.engine.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tapir.engine.transport.DatagramBatch;
import dev.tapir.engine.transport.DatagramEndpoint;
import dev.tapir.engine.transport.StreamConnection;
import dev.tapir.engine.transport.TcpStats;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/** The loops' counting and stopping logic against in-memory connections that take and give odd-sized pieces. */
class LoopsInMemoryTest {
    private static final long SECOND = 1_000_000_000L;

    /** Accepts at most {@code piece} bytes per write and checks each byte against iperf's pattern. */
    static class PatternSink implements StreamConnection {
        final int blockLength;
        final int piece;
        long received;
        long mismatches;

        PatternSink(int blockLength, int piece) {
            this.blockLength = blockLength;
            this.piece = piece;
        }

        @Override
        public int write(MemorySegment src, long offset, int length, int timeoutMillis) {
            int n = Math.min(length, piece);
            for (int i = 0; i < n; i++) {
                long position = (received + i) % blockLength;
                if (src.get(ValueLayout.JAVA_BYTE, offset + i) != (byte) ('0' + position % 10)) {
                    mismatches++;
                }
            }
            received += n;
            return n;
        }

        @Override
        public int read(MemorySegment dst, long offset, int length, int timeoutMillis) {
            return EOF;
        }

        @Override
        public void shutdownOutput() {
        }

        @Override
        public boolean tcpStats(TcpStats into) {
            return false;
        }

        @Override
        public InetSocketAddress localAddress() {
            return null;
        }

        @Override
        public InetSocketAddress remoteAddress() {
            return null;
        }

        @Override
        public void close() {
        }
    }

    /** Gives {@code total} bytes in pieces of at most {@code piece}, then end of stream. */
    static final class FixedSource extends PatternSink {
        final long total;
        long given;

        FixedSource(long total, int piece) {
            super(1, piece);
            this.total = total;
        }

        @Override
        public int read(MemorySegment dst, long offset, int length, int timeoutMillis) {
            if (given == total) {
                return EOF;
            }
            int n = (int) Math.min(Math.min(length, piece), total - given);
            given += n;
            return n;
        }
    }

    private static TestSpec tcp(int length, long bytes, long blocks, long duration) {
        return new TestSpec(Protocol.TCP, length, bytes, blocks, duration, SECOND, 0, 1, false, false, null, null,
                false);
    }

    @Test
    void tcpSenderStopsExactlyAtByteCountWithShortWrites() {
        PatternSink sink = new PatternSink(1000, 333);
        StreamCounters counters = new StreamCounters();
        TcpSender sender = new TcpSender(tcp(1000, 10_001, 0, 0), sink, counters, TestClock.start(),
                new StopSignal(), null);
        sender.run();
        assertEquals(10_001, sink.received);
        assertEquals(10_001, counters.bytes());
        assertEquals(0, sink.mismatches);
        assertNull(sender.failure());
        assertTrue(counters.endNanos() >= counters.startNanos());
    }

    @Test
    void tcpSenderSendsWholeBlocksForBlockCount() {
        PatternSink sink = new PatternSink(64, 50);
        StreamCounters counters = new StreamCounters();
        new TcpSender(tcp(64, 0, 7, 0), sink, counters, TestClock.start(), new StopSignal(), null).run();
        assertEquals(7 * 64, sink.received);
        assertEquals(0, sink.mismatches);
    }

    @Test
    void tcpSenderPutsPrefixAtEveryBlockStart() {
        PatternSink sink = new PatternSink(100, 100) {
            @Override
            public int write(MemorySegment src, long offset, int length, int timeoutMillis) {
                if (src.get(ValueLayout.JAVA_BYTE, offset) != 'X') {
                    mismatches++;
                }
                received += length;
                return length;
            }
        };
        MemorySegment prefix = Arena.ofAuto().allocate(1);
        prefix.set(ValueLayout.JAVA_BYTE, 0, (byte) 'X');
        new TcpSender(tcp(100, 0, 5, 0), sink, new StreamCounters(), TestClock.start(), new StopSignal(), prefix)
                .run();
        assertEquals(500, sink.received);
        assertEquals(0, sink.mismatches);
    }

    @Test
    void tcpSenderStopsAtDeadline() {
        PatternSink sink = new PatternSink(128, 128);
        TestClock clock = TestClock.start();
        new TcpSender(tcp(128, 0, 0, 100_000_000L), sink, new StreamCounters(), clock, new StopSignal(), null).run();
        double elapsed = clock.seconds(System.nanoTime());
        assertTrue(elapsed >= 0.1 && elapsed < 1.0, "stopped after " + elapsed + " s");
        assertTrue(sink.received > 0);
        assertEquals(0, sink.received % 128);
    }

    @Test
    void tcpReceiverCountsEveryByteUntilEof() {
        FixedSource source = new FixedSource(3_000_001, 70_000);
        StreamCounters counters = new StreamCounters();
        TcpReceiver receiver = new TcpReceiver(source, counters, new StopSignal());
        receiver.run();
        assertEquals(3_000_001, counters.bytes());
        assertTrue(receiver.endOfStream());
    }

    /**
     * A stream whose FIN comes long after its last byte (a quiet gap, as when a server drains to the FIN): the stream
     * ends at the last byte, the wait is not counted.
     */
    @Test
    void tcpReceiverEndsTheStreamAtItsLastByteNotAtTheLateFin() {
        long quietNanos = 200_000_000L;
        FixedSource bytes = new FixedSource(1_000_000, 100_000);
        long[] lastByteNanos = new long[1];
        StreamConnection lateFin = new PatternSink(1, 100_000) {
            long quietUntil;

            @Override
            public int read(MemorySegment dst, long offset, int length, int timeoutMillis) {
                if (bytes.given < bytes.total) {
                    int n = bytes.read(dst, offset, length, timeoutMillis);
                    lastByteNanos[0] = System.nanoTime();
                    quietUntil = lastByteNanos[0] + quietNanos;
                    return n;
                }
                if (System.nanoTime() - quietUntil < 0) {
                    LockSupport.parkNanos(Math.min(quietNanos, TimeUnit.MILLISECONDS.toNanos(timeoutMillis)));
                    return 0;
                }
                return EOF;
            }
        };
        StreamCounters counters = new StreamCounters();
        TcpReceiver receiver = new TcpReceiver(lateFin, counters, new StopSignal());
        receiver.run();
        assertEquals(1_000_000, counters.bytes());
        assertTrue(receiver.endOfStream());
        long afterLastByte = counters.endNanos() - lastByteNanos[0];
        assertTrue(afterLastByte >= 0 && afterLastByte < quietNanos / 4, "ended " + afterLastByte + " ns after the last byte");
    }

    /** Takes at most {@code room} datagrams per send and records their sequence numbers. */
    static final class RecordingEndpoint implements DatagramEndpoint {
        final List<Long> sequences = new ArrayList<>();
        final SequenceCodec codec = new SequenceCodec();

        @Override
        public void connect(InetSocketAddress remote) {
        }

        @Override
        public int send(MemorySegment src, long offset, int datagramLength, int count) {
            int n = Math.min(count, 3);
            for (int i = 0; i < n; i++) {
                sequences.add(codec.sequence(src, offset + (long) i * datagramLength, datagramLength));
            }
            return n;
        }

        @Override
        public void sendTo(MemorySegment src, long offset, int length, InetSocketAddress to) {
        }

        @Override
        public int receive(DatagramBatch batch, int timeoutMillis) {
            return 0;
        }

        @Override
        public InetSocketAddress lastSource() {
            return null;
        }

        @Override
        public int preferredBatch() {
            return 8;
        }

        @Override
        public InetSocketAddress localAddress() {
            return null;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void udpSenderNumbersDatagramsFromOneWithPartialSends() {
        RecordingEndpoint endpoint = new RecordingEndpoint();
        StreamCounters counters = new StreamCounters();
        TestSpec spec = new TestSpec(Protocol.UDP, 100, 0, 50, 0, SECOND, 0, 1, false, false, null, null, false);
        UdpSender sender = new UdpSender(spec, endpoint, counters, endpoint.codec, TestClock.start(),
                new StopSignal(), null);
        sender.run();
        assertEquals(50, endpoint.sequences.size());
        for (int i = 0; i < 50; i++) {
            assertEquals(i + 1, endpoint.sequences.get(i));
        }
        assertEquals(50, sender.lastSequence());
        assertEquals(50, counters.packets());
        assertEquals(5000, counters.bytes());
    }
}
