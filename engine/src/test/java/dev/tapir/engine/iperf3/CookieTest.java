package dev.tapir.engine.iperf3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CookieTest {
    @Test
    void randomCookieHasIperf3Shape() {
        Cookie c = Cookie.random();
        byte[] wire = c.wire();
        assertEquals(37, wire.length);
        assertEquals(0, wire[36]);
        assertTrue(c.text().matches("[a-z2-7]{36}"));
        assertEquals(c, Cookie.parse(wire));
        assertNotEquals(c, Cookie.random());
    }

    @Test
    void parsesTheCapturedCookieAndRejectsOthers() {
        byte[] captured = "qhxw6sjkffvz66pixd3poaclkra7j3skw3dt\0".getBytes(StandardCharsets.US_ASCII);
        assertEquals("qhxw6sjkffvz66pixd3poaclkra7j3skw3dt", Cookie.parse(captured).text());
        assertNull(Cookie.parse("qhxw6sjkffvz66pixd3poaclkra7j3skw3d8\0".getBytes(StandardCharsets.US_ASCII)));
        assertNull(Cookie.parse("qhxw6sjkffvz66pixd3poaclkra7j3skw3dtt".getBytes(StandardCharsets.US_ASCII)));
        assertNull(Cookie.parse(new byte[36]));
    }
}
