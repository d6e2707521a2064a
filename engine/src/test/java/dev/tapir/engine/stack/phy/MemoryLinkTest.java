package dev.tapir.engine.stack.phy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.agrona.MutableDirectBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

    @Test
    void checksumOffloadMarksOnlyTheFramesOffloadedAndHandsThemUpPartial(@TempDir Path dir) throws IOException {
        MemoryLink plain = new MemoryLink(1500, 1 << 16);
        assertEquals(DeviceOffloads.none(1500), plain.endA().offloads());
        int claimed = plain.endA().claim(100);
        assertThrows(IllegalStateException.class, () -> plain.endA().offloadTransmit(claimed, 34, 16, 54, 0));

        MemoryLink link = new MemoryLink(1500, 1 << 16, true);
        MemoryLink.End a = link.endA();
        MemoryLink.End b = link.endB();
        assertEquals(new DeviceOffloads(true, 0, 1514), a.offloads());
        assertEquals(new DeviceOffloads(true, 0, 1514), b.offloads());
        int superFrame = a.claim(200);
        assertThrows(IllegalStateException.class, () -> a.offloadTransmit(superFrame, 34, 16, 54, 100),
                "no segmentation");
        a.abort(superFrame);
        int abortedMark = a.claim(70);
        a.offloadTransmit(abortedMark, 34, 16, 54, 0);
        a.abort(abortedMark);
        send(a, 60, (byte) 1);
        sendPartial(a, 61, (byte) 2);
        send(a, 62, (byte) 3);
        sendPartial(a, 63, (byte) 4);
        sendPartial(b, 64, (byte) 5);

        List<String> atB = new ArrayList<>();
        assertEquals(4, b.receive(0, (buffer, offset, length, flags) ->
                atB.add(length + ":" + buffer.getByte(offset + length - 1) + ":" + flags), 10));
        assertEquals(List.of("60:1:0", "61:2:" + FrameHandler.CHECKSUM_PARTIAL, "62:3:0",
                "63:4:" + FrameHandler.CHECKSUM_PARTIAL), atB, "the aborted mark leaves no trace");
        assertEquals(2, b.receivedChecksumPartial());

        // The wrappers on a memory link end: a capture passes the flag on, a corrupted frame loses it.
        List<Integer> handedUp = new ArrayList<>();
        try (PcapWriter capture = new PcapWriter(a, dir.resolve("a.pcap"))) {
            assertEquals(1, capture.receive(0, (buffer, offset, length, flags) -> handedUp.add(flags), 10));
            assertEquals(1, capture.records());
        }
        FaultInjector corrupting = new FaultInjector(b, FaultInjector.Options.none(3).withCorrupt(100));
        sendPartial(a, 65, (byte) 6);
        assertEquals(1, corrupting.receive(0, (buffer, offset, length, flags) -> handedUp.add(flags), 10));
        assertEquals(List.of(FrameHandler.CHECKSUM_PARTIAL, 0), handedUp);
        assertEquals(1, corrupting.counters().get(FaultInjector.Fault.CORRUPTED));
        assertEquals(3, b.receivedChecksumPartial());
    }

    private void sendPartial(Device device, int length, byte last) {
        int at = device.claim(length);
        MutableDirectBuffer buffer = device.transmitBuffer();
        buffer.setMemory(at, length, (byte) 0);
        buffer.putByte(at + length - 1, last);
        device.offloadTransmit(at, 34, 16, 54, 0);
        device.commit(0, at);
    }

    private void send(Device device, int length, byte last) {
        int at = device.claim(length);
        MutableDirectBuffer buffer = device.transmitBuffer();
        buffer.setMemory(at, length, (byte) 0);
        buffer.putByte(at + length - 1, last);
        device.commit(0, at);
    }
}
