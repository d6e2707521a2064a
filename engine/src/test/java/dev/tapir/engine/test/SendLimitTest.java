package dev.tapir.engine.test;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SendLimitTest {
    @Test
    void withoutOmittedStartTheLimitIsFixed() {
        SendLimit limit = new SendLimit(1_000, 0);
        assertEquals(1_000, limit.at(5, 0));
        assertEquals(1_000, limit.at(Long.MAX_VALUE, 700));
    }

    @Test
    void afterTheOmittedStartTheLimitComesOnTopOfWhatWasSent() {
        SendLimit limit = new SendLimit(1_000, 100);
        assertEquals(0, limit.at(50, 5_000), "no limit while the start is omitted");
        assertEquals(0, limit.at(99, 9_000));
        assertEquals(10_000, limit.at(100, 9_000), "taken at the omit's end");
        assertEquals(10_000, limit.at(200, 9_500), "and kept");
    }

    @Test
    void noLimitStaysNone() {
        SendLimit limit = new SendLimit(0, 100);
        assertEquals(0, limit.at(50, 10));
        assertEquals(0, limit.at(150, 10));
    }
}
