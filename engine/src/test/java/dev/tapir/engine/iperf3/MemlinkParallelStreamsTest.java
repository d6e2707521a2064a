package dev.tapir.engine.iperf3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tapir.engine.iperf3.Iperf3InteropTest.RunningServer;
import dev.tapir.engine.report.StreamResult;
import dev.tapir.engine.report.TestResult;
import dev.tapir.engine.stack.NetworkStack;
import dev.tapir.engine.stack.StackRunner;
import dev.tapir.engine.stack.UserspaceTransport;
import dev.tapir.engine.stack.iface.InterfaceConfig;
import dev.tapir.engine.stack.phy.Device;
import dev.tapir.engine.stack.phy.FaultInjector;
import dev.tapir.engine.stack.phy.MemoryLink;
import dev.tapir.engine.stack.stats.StackCounter;
import dev.tapir.engine.test.Protocol;
import dev.tapir.engine.test.TestSpec;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A tapir client against a tapir server, both on userspace stacks joined by a lossless memory link, with parallel
 * streams. UDP needs one server socket per stream on port 5201, each connected to its client stream: the stack must
 * share the port and hand each datagram to the socket connected to its source.
 */
class MemlinkParallelStreamsTest {
    private static final int DATAGRAMS = 1500;
    private static final int LENGTH = 1200;
    private static final long TCP_BYTES = 3L * 1024 * 1024 + 999;

    /** A tapir server stack (10.0.0.1) and a client stack (10.0.0.2) on two ends of a link, running, and the server. */
    private static final class Endpoints implements AutoCloseable {
        final NetworkStack serverStack;
        final StackRunner runner;
        final InetSocketAddress bind;
        final RunningServer server;
        final Iperf3Client client;

        Endpoints(Device serverEnd, Device clientEnd) throws Exception {
            serverStack = new NetworkStack(serverEnd, InterfaceConfig.parse("02:00:00:00:00:01", "10.0.0.1/24", null));
            NetworkStack clientStack = new NetworkStack(clientEnd,
                    InterfaceConfig.parse("02:00:00:00:00:02", "10.0.0.2/24", null));
            runner = StackRunner.start(serverStack, clientStack);
            bind = new InetSocketAddress(InetAddress.getByName("10.0.0.1"), 5201);
            server = new RunningServer(Iperf3InteropTest.testServerOptions(), new UserspaceTransport(serverStack), bind);
            client = new Iperf3Client(new UserspaceTransport(clientStack), new Iperf3Client.Options(false, false, 10_000));
        }

        @Override
        public void close() throws Exception {
            try {
                server.close();
            } finally {
                runner.close();
            }
        }
    }

    @Test
    @Timeout(120)
    void parallelStreamsOverTheMemoryLinkCountExactly() throws Exception {
        MemoryLink link = new MemoryLink(1500);
        try (Endpoints net = new Endpoints(link.endA(), link.endB())) {
            RunningServer server = net.server;
            Iperf3Client client = net.client;
            InetSocketAddress bind = net.bind;
            NetworkStack serverStack = net.serverStack;
            StackRunner runner = net.runner;
            int served = 0;
            for (String what : new String[] {"-u -P 2", "-u -P 2 -R", "-u -P 2 --bidir"}) {
                boolean reverse = what.endsWith("-R");
                boolean bidir = what.endsWith("--bidir");
                // -k over two streams per direction: 750 datagrams each, at 40 Mbit/s per stream (about 0.2 s).
                TestSpec spec = new TestSpec(Protocol.UDP, LENGTH, 0, DATAGRAMS, 0, 0, 40_000_000, 2, reverse, bidir,
                        null, null, false);
                TestResult onClient = client.run(bind, spec, null).result();
                Iperf3InteropTest.awaitResults(server, ++served);
                TestResult onServer = server.output.results.get(served - 1);
                assertEquals(bidir ? 4 : 2, onClient.streams().size(), what);
                assertEquals(bidir ? 4 : 2, onServer.streams().size(), what);
                for (int i = 0; i < onClient.streams().size(); i++) {
                    // Each end's view of a stream holds its own figures and the peer's: both must agree.
                    for (StreamResult s : new StreamResult[] {onClient.streams().get(i), onServer.streams().get(i)}) {
                        String stream = what + " stream " + s.id();
                        assertEquals(onClient.streams().get(i).id(), s.id(), stream);
                        if (!bidir) {
                            // In --bidir the test ends when either direction has sent its share.
                            assertEquals(DATAGRAMS / 2, s.sentPackets(), stream);
                        }
                        assertTrue(s.sentPackets() > 0, stream);
                        assertEquals(s.sentPackets(), s.udp().packets(), stream);
                        assertEquals(0, s.udp().lostPackets(), stream);
                        assertEquals(0, s.udp().outOfOrder(), stream);
                        assertEquals(s.sentPackets() * LENGTH, s.sent().bytes(), stream);
                        assertEquals(s.sentPackets() * LENGTH, s.received().bytes(), stream);
                    }
                }
            }
            String[] tcpModes = {"-P 2", "-P 2 -R", "--bidir"};
            for (String what : tcpModes) {
                boolean bidir = what.equals("--bidir");
                TestSpec spec = new TestSpec(Protocol.TCP, 65536, TCP_BYTES, 0, 0, 0, 0, bidir ? 1 : 2,
                        what.endsWith("-R"), bidir, null, null, false);
                TestResult onClient = client.run(bind, spec, null).result();
                Iperf3InteropTest.awaitResults(server, ++served);
                TestResult onServer = server.output.results.get(served - 1);
                assertEquals(2, onClient.streams().size(), what);
                if (bidir) {
                    // -n ends the test when either direction is done (iperf3's rule: bytes sent or received reach
                    // it), whichever that is; both ends still agree on each direction.
                    long sent = onClient.streams().get(0).sent().bytes();
                    long received = onClient.streams().get(1).received().bytes();
                    assertTrue(sent == TCP_BYTES || received == TCP_BYTES, "sent " + sent + ", received " + received);
                    assertEquals(onClient.sumSent().bytes(), onServer.sumSent().bytes(), what);
                    assertEquals(onClient.sumReceived().bytes(), onServer.sumReceived().bytes(), what);
                } else {
                    for (TestResult r : new TestResult[] {onClient, onServer}) {
                        assertEquals(TCP_BYTES, r.sumSent().bytes(), what);
                        assertEquals(TCP_BYTES, r.sumReceived().bytes(), what);
                        for (StreamResult s : r.streams()) {
                            assertEquals(s.sent().bytes(), s.received().bytes(), what + " stream " + s.id());
                            assertTrue(s.sent().bytes() >= TCP_BYTES / 2, what + " stream " + s.id());
                        }
                    }
                }
            }
            assertEquals(0, serverStack.counters().get(StackCounter.UDP_QUEUE_FULL));
            assertNull(runner.failure());
        }
    }

    /**
     * UDP -R with a datagram count (-k) over a link that loses 5 % of the frames the client receives: the client cannot receive
     * every datagram, so it ends the test once datagrams stop coming, and counts the missing ones as lost.
     */
    @Test
    @Timeout(60)
    void reverseUdpWithACountEndsDespiteLoss() throws Exception {
        MemoryLink link = new MemoryLink(1500);
        try (Endpoints net = new Endpoints(link.endA(),
                new FaultInjector(link.endB(), FaultInjector.Options.none(7).withLoss(5)))) {
            TestSpec spec = new TestSpec(Protocol.UDP, LENGTH, 0, 1000, 0, 0, 20_000_000, 1, true, false,
                    null, null, false);
            StreamResult s = net.client.run(net.bind, spec, null).result().streams().get(0);
            assertEquals(1000, s.sentPackets());
            assertTrue(s.udp().lostPackets() > 0, s.toString());
            // Lost ones before the last received count in the stream; a lost tail counts as never received.
            assertTrue(s.udp().packets() - s.udp().lostPackets() < 1000, s.toString());
            assertEquals((s.udp().packets() - s.udp().lostPackets()) * LENGTH, s.received().bytes(), s.toString());
            assertNull(net.runner.failure());
        }
    }
}
