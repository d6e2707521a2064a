package dev.tapir.tools.jmh;

import dev.tapir.engine.stack.phy.Device;
import dev.tapir.engine.stack.phy.FrameHandler;
import dev.tapir.engine.stack.phy.MemoryLink;
import java.util.concurrent.TimeUnit;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One frame through the in-memory link on one thread: claim room in end A's transmit ring, write the Ethernet header
 * and the first and last payload bytes, commit, then receive it at end B. The link's own cost (ring claim, commit,
 * read and the handler call), not the stack's; the payload is not copied, as the stack builds frames in place.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {Settings.NATIVE_ACCESS, Settings.AGRONA_UNSAFE})
public class MemoryLinkBenchmark {
    @Param({"60", "1514"})
    public int frameLength;

    private Device sender;
    private Device receiver;
    private final FrameCounter counter = new FrameCounter();

    /** Adds up the lengths of the frames it is handed. */
    static final class FrameCounter implements FrameHandler {
        long bytes;

        @Override
        public void onFrame(DirectBuffer buffer, int offset, int length, int flags) {
            bytes += length + (buffer.getByte(offset + length - 1) & 1);
        }
    }

    @Setup
    public void link() {
        MemoryLink link = new MemoryLink(1500);
        sender = link.endA();
        receiver = link.endB();
    }

    /** Returns the frames received (1), or 0 if the link refused the claim. */
    @Benchmark
    public int sendAndReceive() {
        int at = sender.claim(frameLength);
        if (at < 0) {
            return 0;
        }
        MutableDirectBuffer tx = sender.transmitBuffer();
        tx.putLong(at, 0x0200_0000_0001_0200L);
        tx.putInt(at + 8, 0x0000_0002);
        tx.putShort(at + 12, (short) 0x0008);
        tx.putByte(at + frameLength - 1, (byte) frameLength);
        sender.commit(0, at);
        int received = receiver.receive(0, counter, 1);
        // Where the ring wraps, a read stops at the padding record before the frame: the next read gets it.
        return received != 0 ? received : receiver.receive(0, counter, 1);
    }

    long bytesReceived() {
        return counter.bytes;
    }
}
