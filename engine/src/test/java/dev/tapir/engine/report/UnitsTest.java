package dev.tapir.engine.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class UnitsTest {
    @Test
    void parsesSizesInPowersOf1024() {
        assertEquals(100, Units.parseSize("100"));
        assertEquals(65_536, Units.parseSize("64K"));
        assertEquals(65_536, Units.parseSize("64k"));
        assertEquals(1_572_864, Units.parseSize("1.5M"));
        assertEquals(1L << 30, Units.parseSize("1g"));
        assertEquals(1L << 40, Units.parseSize("1T"));
    }

    @Test
    void parsesRatesInPowersOf1000() {
        assertEquals(10_000_000, Units.parseRate("10M"));
        assertEquals(1_500_000, Units.parseRate("1.5m"));
        assertEquals(100_000, Units.parseRate("100k"));
        assertEquals(2_000_000_000L, Units.parseRate("2G"));
        assertEquals(0, Units.parseRate("0"));
    }

    @Test
    void rejectsGarbageWithOneClearMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Units.parseSize("abc"));
        assertEquals("invalid size 'abc': expected a number with an optional K, M, G or T suffix, like 100, 1.5M or 64K",
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Units.parseRate("12Q"));
        assertThrows(IllegalArgumentException.class, () -> Units.parseRate("-5M"));
        assertThrows(IllegalArgumentException.class, () -> Units.parseSize("M"));
        assertThrows(IllegalArgumentException.class, () -> Units.parseSize(""));
        assertThrows(IllegalArgumentException.class, () -> Units.parseSize("99999999999T"));
    }

    @Test
    void formatsBytesAndRatesAsIperf3() {
        assertEquals("1.10 GBytes", Units.formatBytes(1_181_116_006));
        assertEquals(" 128 KBytes", Units.formatBytes(131_072));
        assertEquals("2.41 MBytes", Units.formatBytes(2_523_136));
        assertEquals("0.00 Bytes", Units.formatBytes(0));
        assertEquals("1000 Bytes", Units.formatBytes(1000));
        assertEquals("10.0 KBytes", Units.formatBytes(10_235));
        assertEquals("9.45 Gbits/sec", Units.formatBitsPerSecond(9_448_928_048.0));
        assertEquals("10.1 Mbits/sec", Units.formatBitsPerSecond(10_092_115.085));
        assertEquals(" 942 Mbits/sec", Units.formatBitsPerSecond(942_000_000));
        assertEquals("0.00 bits/sec", Units.formatBitsPerSecond(0));
    }

    @Test
    void formatsLikeCPrintf() {
        assertEquals("0.12", Units.fixed(0.125, 2)); // exact tie: half to even
        assertEquals("1.00", Units.fixed(1.0005, 2)); // 1.0005 is just below the tie in binary
        assertEquals("-0.000", Units.fixed(-0.0, 3));
        assertEquals("0", Units.general(0, 2));
        assertEquals("1", Units.general(1.0, 2));
        assertEquals("12", Units.general(12.3, 2));
        assertEquals("1.2e+02", Units.general(123, 2));
        assertEquals("0.0001", Units.general(0.0001, 2));
        assertEquals("1e-05", Units.general(0.00001, 2));
        assertEquals("0.33", Units.general(1.0 / 3, 2));
    }
}
