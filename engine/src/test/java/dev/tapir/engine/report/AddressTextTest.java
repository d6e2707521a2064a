package dev.tapir.engine.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class AddressTextTest {
    private static String text(String literal) throws Exception {
        return AddressText.of(InetAddress.getByName(literal));
    }

    @Test
    void ipv6InTheShortFormIperfPrints() throws Exception {
        assertEquals("::1", text("0:0:0:0:0:0:0:1"));
        assertEquals("::", text("0:0:0:0:0:0:0:0"));
        assertEquals("1::", text("1:0:0:0:0:0:0:0"));
        assertEquals("fe80::1:2", text("fe80:0:0:0:0:0:1:2"));
        // the first of two equally long runs; a single zero group stays
        assertEquals("2001:db8::1:0:0:1", text("2001:db8:0:0:1:0:0:1"));
        assertEquals("2001:db8:0:1:1:1:1:1", text("2001:db8:0:1:1:1:1:1"));
        // the longest run, wherever it is
        assertEquals("2001:0:0:1::1", text("2001:0:0:1:0:0:0:1"));
    }

    @Test
    void ipv4AndMappedAddressesAreDotted() throws Exception {
        assertEquals("127.0.0.1", text("127.0.0.1"));
        assertEquals("127.0.0.1", text("::ffff:127.0.0.1"));
    }
}
