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

    @Test
    @Timeout(120)
    void parallelStreamsOverTheMemoryLinkCountExactly() throws Exception {
        MemoryLink link = new MemoryLink(1500);
        NetworkStack serverStack = new NetworkStack(link.endA(),
                InterfaceConfig.parse("02:00:00:00:00:01", "10.0.0.1/24", null));
        NetworkStack clientStack = new NetworkStack(link.endB(),
                InterfaceConfig.parse("02:00:00:00:00:02", "10.0.0.2/24", null));
        InetSocketAddress bind = new InetSocketAddress(InetAddress.getByName("10.0.0.1"), 5201);
        try (StackRunner runner = StackRunner.start(serverStack, clientStack);
                var server = new RunningServer(Iperf3InteropTest.testServerOptions(),
                        new UserspaceTransport(serverStack), bind)) {
            Iperf3Client client = new Iperf3Client(new UserspaceTransport(clientStack),
                    new Iperf3Client.Options(false, false, 10_000));
            int served = 0;
            for (boolean reverse : new boolean[] {false, true}) {
                String what = "-u -P 2" + (reverse ? " -R" : "");
                // -k over two streams: 750 datagrams each, at 40 Mbit/s per stream (about 0.2 s).
                TestSpec spec = new TestSpec(Protocol.UDP, LENGTH, 0, DATAGRAMS, 0, 0, 40_000_000, 2, reverse, false,
                        null, null, false);
                TestResult onClient = client.run(bind, spec, null).result();
                Iperf3InteropTest.awaitResults(server, ++served);
                TestResult onServer = server.output.results.get(served - 1);
                TestResult sender = reverse ? onServer : onClient;
                TestResult receiver = reverse ? onClient : onServer;
                assertEquals(2, sender.streams().size(), what);
                assertEquals(2, receiver.streams().size(), what);
                for (int i = 0; i < 2; i++) {
                    StreamResult sent = sender.streams().get(i);
                    StreamResult got = receiver.streams().get(i);
                    String stream = what + " stream " + sent.id();
                    assertEquals(sent.id(), got.id(), stream);
                    assertEquals(DATAGRAMS / 2, sent.sentPackets(), stream);
                    assertEquals((long) DATAGRAMS / 2 * LENGTH, sent.sent().bytes(), stream);
                    assertEquals(DATAGRAMS / 2, got.udp().packets(), stream);
                    assertEquals(0, got.udp().lostPackets(), stream);
                    assertEquals(0, got.udp().outOfOrder(), stream);
                    assertEquals((long) DATAGRAMS / 2 * LENGTH, got.received().bytes(), stream);
                    // The client's copy of the peer's figures agrees with the peer's own.
                    StreamResult clientView = onClient.streams().get(i);
                    assertEquals(DATAGRAMS / 2, clientView.udp().packets(), stream);
                    assertEquals(DATAGRAMS / 2, clientView.sentPackets(), stream);
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
                    // -n ends the test when either direction is done; both ends still agree on each direction.
                    assertEquals(TCP_BYTES, onClient.streams().get(0).sent().bytes(), what);
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
}
