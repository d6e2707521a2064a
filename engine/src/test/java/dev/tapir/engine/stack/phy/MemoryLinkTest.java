package dev.tapir.engine.stack.phy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.agrona.MutableDirectBuffer;
import org.junit.jupiter.api.Test;

class MemoryLinkTest {
    @Test
    void framesCrossInBothDirectionsInOrderAndAFullRingRefusesClaims() {
        MemoryLink link = new MemoryLink(1500, 1 << 16);
        Device a = link.endA();
        Device b = link.endB();
        for (int i = 0; i < 5; i++) {
            send(a, 60 + i, (byte) i);
        }
        send(b, 100, (byte) 9);
        List<String> atB = new ArrayList<>();
        assertEquals(3, b.receive(0, (buffer, offset, length, flags) -> atB.add(length + ":" + buffer.getByte(offset + length - 1)), 3));
        assertEquals(2, b.receive(0, (buffer, offset, length, flags) -> atB.add(length + ":" + buffer.getByte(offset + length - 1)), 10));
        assertEquals(List.of("60:0", "61:1", "62:2", "63:3", "64:4"), atB);
        List<Integer> atA = new ArrayList<>();
        assertEquals(1, a.receive(0, (buffer, offset, length, flags) -> atA.add(length), 10));
        assertEquals(List.of(100), atA);

        assertEquals(-1, a.claim(1515), "larger than MTU + Ethernet header");
        int sent = 0;
        int at;
        while ((at = a.claim(1514)) >= 0) {
            sent++;
            a.commit(0, at);
        }
        assertEquals(true, sent > 30 && sent < 44, "a 64 KiB ring holds about 42 full frames, held " + sent);
        assertThrows(IllegalArgumentException.class, () -> new MemoryLink(1500, 3000));
    }

    private void send(Device device, int length, byte last) {
        int at = device.claim(length);
        MutableDirectBuffer buffer = device.transmitBuffer();
        buffer.setMemory(at, length, (byte) 0);
        buffer.putByte(at + length - 1, last);
        device.commit(0, at);
    }
}
