package dev.tapir.engine.stack.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tapir.engine.stack.LinkedStacks;
import dev.tapir.engine.stack.stats.StackCounter;
import dev.tapir.engine.transport.DatagramBatch;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** Several UDP sockets on one port (SO_REUSEADDR), as iperf3's server opens them: who gets which datagram. */
class UdpPortSharingTest {
    private static final int PORT = 7000;

    @Test
    void connectedSocketsGetTheirPeersDatagramsAndTheUnconnectedOneTheRest() {
        try (LinkedStacks net = new LinkedStacks(); Arena arena = Arena.ofConfined()) {
            UdpLayer udp = net.b.udp();
            // Bound in an order that puts the unconnected socket between the connected ones in the port's chain.
            UdpSocket toFirst = udp.bind(PORT, 0, true);
            toFirst.connect(LinkedStacks.ADDRESS_A, 6001);
            UdpSocket open = udp.bind(PORT, 0, true);
            UdpSocket toSecond = udp.bind(PORT, 0, true);
            toSecond.connect(LinkedStacks.ADDRESS_A, 6002);
            UdpSocket[] sources = {net.a.udp().bind(6001, 0), net.a.udp().bind(6002, 0), net.a.udp().bind(6003, 0)};
            MemorySegment data = arena.allocate(64);
            // Source i sends i + 2 datagrams, each 10 * (i + 1) bytes long with every byte = i.
            for (int i = 0; i < 3; i++) {
                data.fill((byte) i);
                for (int n = 0; n < i + 2; n++) {
                    assertTrue(sources[i].offer(LinkedStacks.ADDRESS_B, PORT, data, 0, 10 * (i + 1)));
                }
            }
            net.steps(6);
            assertEquals(2 + 3 + 4, net.b.counters().get(StackCounter.UDP_DELIVERED));
            assertEquals(0, net.b.counters().get(StackCounter.UDP_NO_SOCKET));
            DatagramBatch batch = new DatagramBatch(arena.allocate(65536), 64);
            UdpSocket[] expected = {toFirst, toSecond, open};
            for (int i = 0; i < 3; i++) {
                assertEquals(i + 2, expected[i].receive(batch), "socket for source " + i);
                for (int n = 0; n < batch.count(); n++) {
                    assertEquals(10 * (i + 1), batch.length(n));
                    assertEquals((byte) i, batch.buffer().get(ValueLayout.JAVA_BYTE, batch.offset(n)));
                }
                assertEquals(6001 + i, expected[i].lastSourcePort());
                assertEquals(LinkedStacks.ADDRESS_A, expected[i].lastSourceAddress());
            }

            // The unconnected socket gone, only the connected sockets' peers get through.
            udp.unbind(open);
            data.fill((byte) 9);
            for (UdpSocket source : sources) {
                assertTrue(source.offer(LinkedStacks.ADDRESS_B, PORT, data, 0, 20));
            }
            net.steps(6);
            assertEquals(1, net.b.counters().get(StackCounter.UDP_NO_SOCKET));
            assertEquals(1, toFirst.receive(batch));
            assertEquals(1, toSecond.receive(batch));
            assertEquals(0, open.receive(batch));
        }
    }

    @Test
    void lookupPrefersAnExactPeerThenTheNewestUnconnectedSocket() {
        try (LinkedStacks net = new LinkedStacks()) {
            UdpLayer udp = net.b.udp();
            int host = LinkedStacks.ADDRESS_A;
            UdpSocket older = udp.bind(PORT, 0, true);
            UdpSocket connected = udp.bind(PORT, 0, true);
            connected.connect(host, 5000);
            UdpSocket newer = udp.bind(PORT, 0, true);
            assertSame(connected, udp.receiverOf(PORT, host, 5000));
            assertSame(newer, udp.receiverOf(PORT, host, 5001), "another port of the same host");
            assertSame(newer, udp.receiverOf(PORT, host + 1, 5000), "the same port of another host");
            udp.unbind(newer);
            assertSame(older, udp.receiverOf(PORT, host, 5001));
            older.connect(host, 5001);
            assertSame(older, udp.receiverOf(PORT, host, 5001));
            assertSame(null, udp.receiverOf(PORT, host, 5002));
            assertSame(null, udp.receiverOf(PORT + 1, host, 5000));
        }
    }

    @Test
    void aPortIsSharedOnlyWhenEverySocketOnItAllowsIt() {
        try (LinkedStacks net = new LinkedStacks()) {
            UdpLayer udp = net.b.udp();
            UdpSocket alone = udp.bind(PORT, 0);
            assertThrows(IllegalStateException.class, () -> udp.bind(PORT, 0));
            assertThrows(IllegalStateException.class, () -> udp.bind(PORT, 0, true), "the first does not share");
            udp.unbind(alone);
            udp.unbind(alone);

            UdpSocket shared = udp.bind(PORT, 0, true);
            UdpSocket second = udp.bind(PORT, 0, true);
            assertThrows(IllegalStateException.class, () -> udp.bind(PORT, 0), "the new one does not share");
            // The port stays bound until its last socket goes, and is free again after.
            udp.unbind(shared);
            assertThrows(IllegalStateException.class, () -> udp.bind(PORT, 0));
            udp.unbind(second);
            UdpSocket again = udp.bind(PORT, 0);
            assertEquals(PORT, again.localPort());

            // An ephemeral port is never one already bound.
            UdpSocket first = udp.bind(0, 0, true);
            UdpSocket next = udp.bind(0, 0, true);
            assertNotEquals(first.localPort(), next.localPort());
            assertTrue(first.localPort() >= UdpLayer.FIRST_EPHEMERAL_PORT);
        }
    }
}
