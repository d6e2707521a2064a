package dev.tapir.engine.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tapir.engine.transport.DatagramOptions;
import dev.tapir.engine.transport.StreamOptions;
import org.junit.jupiter.api.Test;

class TestSpecTest {
    private static final long SECOND = 1_000_000_000L;

    private static TestSpec spec(Protocol p, int length, long bytes, long blocks, long duration, int streams) {
        return new TestSpec(p, length, bytes, blocks, duration, SECOND, 0, streams, false, false,
                StreamOptions.DEFAULT, DatagramOptions.DEFAULT, false);
    }

    private static String message(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void rejectsBadValuesWithOneClearMessage() {
        assertEquals("length (-l) must be positive, got 0", message(() -> spec(Protocol.TCP, 0, 0, 0, SECOND, 1)));
        assertEquals("UDP datagram length (-l) must be at most 65507 bytes, got 70000",
                message(() -> spec(Protocol.UDP, 70000, 0, 0, SECOND, 1)));
        assertEquals("parallel streams (-P) must be between 1 and 128, got 0",
                message(() -> spec(Protocol.TCP, 1000, 0, 0, SECOND, 0)));
        assertEquals("give either bytes (-n) or blocks (-k), not both",
                message(() -> spec(Protocol.TCP, 1000, 10, 10, SECOND, 1)));
        assertEquals("duration (-t) must be positive when neither -n nor -k is given",
                message(() -> spec(Protocol.TCP, 1000, 0, 0, 0, 1)));
        assertEquals("bytes (-n) must not be negative, got -5", message(() -> spec(Protocol.TCP, 1000, -5, 0, 0, 1)));
        assertEquals("give either reverse (-R) or bidirectional (--bidir), not both",
                message(() -> new TestSpec(Protocol.TCP, 10, 0, 0, SECOND, 0, 0, 1, true, true, null, null, false)));
    }

    @Test
    void limitsFollowBytesOrBlocks() {
        assertEquals(1000, spec(Protocol.TCP, 64, 1000, 0, 0, 1).byteLimit());
        assertEquals(640, spec(Protocol.TCP, 64, 0, 10, 0, 1).byteLimit());
        assertEquals(0, spec(Protocol.TCP, 64, 0, 0, SECOND, 1).byteLimit());
        assertEquals(3, spec(Protocol.UDP, 1000, 2500, 0, 0, 1).datagramLimit());
        assertEquals(7, spec(Protocol.UDP, 1000, 0, 7, 0, 1).datagramLimit());
        TestSpec defaults = new TestSpec(Protocol.TCP, 10, 0, 0, SECOND, 0, 0, 1, false, false, null, null, false);
        assertEquals(StreamOptions.DEFAULT, defaults.streamOptions());
        assertEquals(DatagramOptions.DEFAULT, defaults.datagramOptions());
    }
}
