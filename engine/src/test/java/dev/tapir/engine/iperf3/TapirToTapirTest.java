package dev.tapir.engine.iperf3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tapir.engine.iperf3.Iperf3InteropTest.RunningServer;
import dev.tapir.engine.report.TestResult;
import dev.tapir.engine.test.Protocol;
import org.junit.jupiter.api.Test;

/** A tapir client against a tapir server: the server drains every data connection, so -n counts agree exactly. */
class TapirToTapirTest {
    @Test
    void byteCountsAreExactOnBothSidesInEveryDirection() throws Exception {
        long bytes = 3L * 1024 * 1024 + 12345; // not a multiple of the block length nor of the stream count
        try (var server = new RunningServer(Iperf3InteropTest.testServerOptions())) {
            int served = 0;
            for (String mode : new String[] {"P3", "R", "bidir"}) {
                var spec = Iperf3InteropTest.spec(Protocol.TCP, 65536, bytes, 0, 0, mode.equals("P3") ? 3 : 1,
                        mode.equals("R"), mode.equals("bidir"));
                TestResult client = Iperf3InteropTest.runClient(spec, server.port(),
                        new Iperf3Client.Options(true, false, 5_000)).result();
                Iperf3InteropTest.awaitResults(server, ++served);
                TestResult onServer = server.output.results.get(served - 1);
                if (mode.equals("bidir")) {
                    // -n ends the test when either direction is done; each side still agrees with the other.
                    assertEquals(client.sumSent().bytes(), onServer.sumSent().bytes(), mode);
                    assertEquals(client.sumReceived().bytes(), onServer.sumReceived().bytes(), mode);
                    assertEquals(bytes, client.streams().get(0).sent().bytes(), mode);
                } else {
                    assertEquals(bytes, client.sumSent().bytes(), mode);
                    assertEquals(bytes, client.sumReceived().bytes(), mode);
                    assertEquals(bytes, onServer.sumSent().bytes(), mode);
                    assertEquals(bytes, onServer.sumReceived().bytes(), mode);
                }
            }
        }
    }

    @Test
    void udpWith64BitCountersAndServerOutput() throws Exception {
        try (var server = new RunningServer(Iperf3InteropTest.testServerOptions())) {
            var spec = Iperf3InteropTest.spec(Protocol.UDP, 1000, 0, 1, 8_000_000, 2, false, false);
            var outcome = Iperf3InteropTest.runClient(spec, server.port(), new Iperf3Client.Options(true, true, 5_000));
            TestResult client = outcome.result();
            Iperf3InteropTest.awaitResults(server, 1);
            TestResult onServer = server.output.results.get(0);
            assertEquals(client.sumSentPackets(), onServer.sumUdp().packets());
            assertEquals(0, onServer.sumUdp().lostPackets());
            assertEquals(client.sumUdp().packets(), onServer.sumUdp().packets());
            assertTrue(client.sumSentPackets() > 800, "sent " + client.sumSentPackets());
            assertEquals(onServer.sumReceived().bytes(),
                    outcome.serverResults().serverOutputJson().get("end").get("sum_received").get("bytes").longValue());
        }
    }

    @Test
    void udpReceiverDurationEndsWithTheLastDatagramNotTheDrain() throws Exception {
        try (var server = new RunningServer(Iperf3InteropTest.testServerOptions())) {
            var spec = Iperf3InteropTest.spec(Protocol.UDP, 1000, 0, 1, 8_000_000, 1, false, false);
            TestResult client = Iperf3InteropTest.runClient(spec, server.port(),
                    new Iperf3Client.Options(true, false, 5_000)).result();
            Iperf3InteropTest.awaitResults(server, 1);
            double onServer = server.output.results.get(0).sumReceived().seconds();
            double reportedToClient = client.sumReceived().seconds();
            // a 1 s test: the receiver saw datagrams for about 1 s; the drain after the sender's end is excluded
            assertTrue(onServer > 0.8 && onServer < 1.2, "server receiver seconds " + onServer);
            assertTrue(reportedToClient > 0.8 && reportedToClient < 1.2, "client's receiver seconds " + reportedToClient);
        }
    }
}
