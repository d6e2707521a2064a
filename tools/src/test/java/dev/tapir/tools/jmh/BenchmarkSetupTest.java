package dev.tapir.tools.jmh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

/** Each benchmark's operation, once, outside JMH: it must do the real work it claims to measure (no timing here). */
class BenchmarkSetupTest {
    @Test
    void headerEmitBuildsAFrameThatParseAccepts() {
        HeaderBenchmark bench = new HeaderBenchmark();
        bench.frames();
        assertEquals(66, bench.emit(), "14 + 20 + 20 + 12 bytes");
        long fields = bench.parse();
        assertNotEquals(-1, fields, "the emitted frame validates: IPv4 and TCP checksums, options");
        assertEquals(49152L + 5201 + 0 + 7 + 0x10 + 512 + 0 + 0 + 12345, fields);
    }

    @Test
    void checksumOfTheBenchmarkBufferIsStableAndNotTheEmptySum() {
        ChecksumBenchmark bench = new ChecksumBenchmark();
        bench.size = 1500;
        bench.fill();
        int value = bench.checksum();
        assertEquals(value, bench.checksum());
        assertNotEquals(0xffff, value, "random bytes, not an empty buffer");
    }

    @Test
    void memoryLinkDeliversEachFrameItSends() {
        MemoryLinkBenchmark bench = new MemoryLinkBenchmark();
        bench.frameLength = 1514;
        bench.link();
        for (int i = 0; i < 10_000; i++) {
            assertEquals(1, bench.sendAndReceive());
        }
        assertEquals(10_000L * 1514, bench.bytesReceived(), "1514 is even: the last-byte bit adds nothing");
    }
}
