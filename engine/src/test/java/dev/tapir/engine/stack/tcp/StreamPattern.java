package dev.tapir.engine.stack.tcp;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

/** A seeded byte pattern of prime period: the writer sends it, the reader checks every byte it receives. */
final class StreamPattern {
    static final int PERIOD = 1_048_573;
    static final int CHUNK = 256 * 1024;

    private final MemorySegment source;
    private final MemorySegment sink;
    long written;
    long read;
    boolean eof;

    StreamPattern(long seed) {
        Arena arena = Arena.ofAuto();
        source = arena.allocate(PERIOD + CHUNK);
        sink = arena.allocate(CHUNK);
        Random random = new Random(seed);
        byte[] block = new byte[PERIOD];
        random.nextBytes(block);
        MemorySegment.copy(block, 0, source, ValueLayout.JAVA_BYTE, 0, PERIOD);
        MemorySegment.copy(block, 0, source, ValueLayout.JAVA_BYTE, PERIOD, CHUNK);
    }

    /** Writes as much of the first {@code total} pattern bytes as the socket takes now. */
    void write(TcpSocket socket, long total) {
        while (written < total) {
            int n = socket.write(source, written % PERIOD, (int) Math.min(CHUNK, total - written));
            if (n <= 0) {
                return;
            }
            written += n;
        }
    }

    /**
     * Runs {@code net} while {@code from} sends the first {@code total} pattern bytes and then its FIN, and
     * {@code to} reads and checks them; true if {@code to} saw the end within {@code maxNanos} of fake time.
     */
    boolean sendAndClose(TwoLayerNetwork net, TcpSocket from, TcpSocket to, long total, long maxNanos) {
        return net.runUntil(() -> eof, maxNanos, () -> {
            write(from, total);
            if (written == total) {
                from.shutdownOutput();
            }
            readAndCheck(to);
        });
    }

    /** Reads what is waiting and checks it; throws on the first wrong byte. */
    void readAndCheck(TcpSocket socket) {
        while (true) {
            int n = socket.read(sink, 0, CHUNK);
            if (n < 0) {
                eof = true;
                return;
            }
            if (n == 0) {
                return;
            }
            long at = read % PERIOD;
            long mismatch = MemorySegment.mismatch(sink, 0, n, source, at, at + n);
            if (mismatch >= 0) {
                throw new AssertionError("byte " + (read + mismatch) + " differs");
            }
            read += n;
        }
    }
}
