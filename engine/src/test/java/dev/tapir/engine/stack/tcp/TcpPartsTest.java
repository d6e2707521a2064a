package dev.tapir.engine.stack.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/** The pieces under TcpSocket: options, the assembler, the scoreboard, the connection table. */
class TcpPartsTest {
    @Test
    void optionsRoundTripThroughTheWire() {
        TcpOptions o = new TcpOptions();
        o.mss = 1460;
        o.windowScale = 7;
        o.sackPermitted = true;
        o.timestamps = true;
        o.tsVal = 0x12345678;
        o.tsEcr = -5;
        UnsafeBuffer buf = new UnsafeBuffer(new byte[40]);
        int n = o.write(buf, 0);
        assertEquals(20, n);
        assertEquals(n, o.length());
        TcpOptions p = new TcpOptions();
        assertTrue(p.parse(buf, 0, n));
        assertEquals(1460, p.mss);
        assertEquals(7, p.windowScale);
        assertTrue(p.sackPermitted && p.timestamps);
        assertEquals(0x12345678, p.tsVal);
        assertEquals(-5, p.tsEcr);

        TcpOptions sack = new TcpOptions();
        sack.timestamps = true;
        sack.sackCount = 3;
        for (int i = 0; i < 3; i++) {
            sack.sackLeft[i] = 1000 * i;
            sack.sackRight[i] = 1000 * i + 500;
        }
        assertEquals(40, sack.write(buf, 0));
        assertTrue(p.parse(buf, 0, 40));
        assertEquals(3, p.sackCount);
        assertEquals(2500, p.sackRight[2]);
    }

    @Test
    void malformedOptionsAreRejected() {
        UnsafeBuffer buf = new UnsafeBuffer(new byte[8]);
        buf.putByte(0, (byte) TcpOptions.KIND_MSS);
        buf.putByte(1, (byte) 9); // runs past the end
        assertFalse(new TcpOptions().parse(buf, 0, 8));
        buf.putByte(1, (byte) 3); // wrong length for MSS
        assertFalse(new TcpOptions().parse(buf, 0, 8));
    }

    @Test
    void segmentChecksumCoversPseudoHeader() {
        UnsafeBuffer buf = new UnsafeBuffer(new byte[24]);
        TcpSegment s = new TcpSegment().wrapForWrite(buf, 0, 24).sourcePort(1).destinationPort(2)
                .sequenceNumber(3).acknowledgmentNumber(4).headerLength(20).flags(TcpSegment.ACK).window(5)
                .urgentPointer(0);
        buf.putInt(20, 0xdeadbeef);
        s.computeChecksum(0x0a000001, 0x0a000002);
        TcpSegment r = new TcpSegment();
        assertTrue(r.wrap(buf, 0, 24));
        assertTrue(r.checksumValid(0x0a000001, 0x0a000002));
        assertFalse(r.checksumValid(0x0a000001, 0x0a000003));
        assertEquals(4, r.payloadLength());
        assertFalse(r.wrap(buf, 0, 19));
    }

    @Test
    void assemblerMergesRangesAndRespectsItsBound() {
        Assembler a = new Assembler(3);
        assertTrue(a.add(10, 20));
        assertTrue(a.add(30, 40));
        assertTrue(a.add(50, 60));
        assertFalse(a.add(70, 80), "a fourth range does not fit");
        assertTrue(a.add(20, 30), "bridging two ranges needs no new slot");
        assertEquals(2, a.count());
        assertEquals(10, a.start(0));
        assertEquals(40, a.end(0));
        assertEquals(10, a.latestStart());
        assertEquals(40, a.advance(10));
        assertEquals(5, a.advance(5), "nothing joins a position before the first range");
        assertEquals(1, a.count());
        assertEquals(45, a.advance(45), "a gap stays");
        a.trimBelow(55);
        assertEquals(55, a.start(0));
        assertEquals(5, a.totalBytes());
    }

    @Test
    void scoreboardFindsLostHolesAndComputesThePipe() {
        SackScoreboard sb = new SackScoreboard(8);
        int mss = 100;
        // Sent [0, 1000); SACKed [100, 400) and [500, 1000): holes [0, 100) and [400, 500).
        sb.addSacked(100, 400);
        sb.addSacked(500, 1000);
        sb.highRxt(0);
        assertTrue(sb.firstSegmentLost(0, mss));
        assertEquals(0, sb.pipe(0, 1000, mss));
        assertTrue(sb.nextLost(0, 1000, mss));
        assertEquals(0, sb.lostStart());
        assertEquals(100, sb.lostEnd());
        sb.highRxt(100);
        assertEquals(100, sb.pipe(0, 1000, mss));
        assertTrue(sb.nextLost(0, 1000, mss));
        assertEquals(400, sb.lostStart());
        sb.highRxt(500);
        assertFalse(sb.nextLost(0, 1000, mss));
        assertEquals(200, sb.pipe(0, 1000, mss));
        assertEquals(400, sb.skipSacked(150));
        assertEquals(500, sb.nextSackedStart(420, 1000));
    }

    @Test
    void connectionTableFindsRemovesAndGrows() {
        ConnectionTable t = new ConnectionTable(16);
        TcpLayer layer = new TcpLayer(1, new TcpConfig(), new SecureRandom());
        TcpSocket[] s = new TcpSocket[100];
        for (int i = 0; i < 100; i++) {
            s[i] = layer.connect(0, 2, 80, 1000 + i, new TcpConfig().sendBufferBytes(4096).receiveBufferBytes(4096));
            t.put(s[i].key(), s[i]);
        }
        assertEquals(100, t.size());
        for (int i = 0; i < 100; i += 2) {
            t.remove(s[i].key(), s[i]);
        }
        for (int i = 0; i < 100; i++) {
            if (i % 2 == 0) {
                assertNull(t.get(s[i].key()));
            } else {
                assertSame(s[i], t.get(s[i].key()));
            }
        }
    }
}
