package dev.tapir.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class Ipv4PrefixTest {
    @Test
    void parsesAndPrintsCidr() {
        Ipv4Prefix p = Ipv4Prefix.parse("192.168.122.10/24");
        assertEquals(0xc0a87a0a, p.address());
        assertEquals(24, p.prefixLength());
        assertEquals("192.168.122.10/24", p.toString());
    }

    @Test
    void rejectsTyposWithOneLineMessage() {
        assertEquals("expected ADDRESS/PREFIX such as 192.168.122.1/24, got '192.168.122.1'",
                assertThrows(IllegalArgumentException.class, () -> Ipv4Prefix.parse("192.168.122.1")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Ipv4Prefix.parse("192.168.122.256/24"));
        assertThrows(IllegalArgumentException.class, () -> Ipv4Prefix.parse("192.168.122/24"));
        assertThrows(IllegalArgumentException.class, () -> Ipv4Prefix.parse("192.168.122.1/33"));
        assertThrows(IllegalArgumentException.class, () -> Ipv4Prefix.parse("192.168.1x2.1/24"));
    }
}
