package dev.tapir.tools.jmh;

import dev.tapir.engine.stack.wire.Checksum;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
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
 * The Internet checksum over off-heap memory at the sizes the stack sees: an IPv4 header (20), an Ethernet-MTU packet
 * (1500) and a largest IPv4 packet (65535, the memory link at its biggest MTU). Bytes/s = size / time per operation.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {Settings.NATIVE_ACCESS, Settings.AGRONA_UNSAFE})
public class ChecksumBenchmark {
    @Param({"20", "1500", "65535"})
    public int size;

    private UnsafeBuffer buffer;

    @Setup
    public void fill() {
        buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(65536, 64));
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < buffer.capacity(); i++) {
            buffer.putByte(i, (byte) random.nextInt());
        }
    }

    @Benchmark
    public int checksum() {
        return Checksum.compute(buffer, 0, size);
    }
}
