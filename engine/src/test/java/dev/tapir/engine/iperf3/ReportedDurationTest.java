package dev.tapir.engine.iperf3;

import static dev.tapir.engine.iperf3.Iperf3InteropTest.awaitListening;
import static dev.tapir.engine.iperf3.Iperf3InteropTest.awaitResults;
import static dev.tapir.engine.iperf3.Iperf3InteropTest.freePort;
import static dev.tapir.engine.iperf3.Iperf3InteropTest.safeText;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tapir.engine.iperf3.Iperf3InteropTest.Iperf3Process;
import dev.tapir.engine.iperf3.Iperf3InteropTest.RunningServer;
import dev.tapir.engine.report.Interval;
import dev.tapir.engine.report.TestResult;
import dev.tapir.engine.report.Transfer;
import dev.tapir.engine.test.Protocol;
import dev.tapir.engine.test.TestSpec;
import org.junit.jupiter.api.Test;

/**
 * The durations tapir reports against real iperf3 peers: a stream lasts the test (not from when its thread got going
 * to its last datagram), and the interval lines tile exactly what the totals cover.
 */
class ReportedDurationTest {
    private static final double MILLI = 0.001;

    /**
     * Interval lines end where the stream ends (a last sliver under a tenth of an interval with no data is left out,
     * as iperf3 does) and add up to its total.
     */
    private static void assertIntervalsTile(TestResult r, Transfer total, String what) {
        var intervals = r.intervals();
        assertTrue(!intervals.isEmpty(), what + ": no intervals");
        Interval last = intervals.get(intervals.size() - 1);
        double gap = total.end() - last.sum().end();
        assertTrue(gap > -MILLI && gap < 0.1, what + ": last interval ends at " + last.sum().end()
                + ", the stream at " + total.end());
        long sum = intervals.stream().mapToLong(i -> i.sum().bytes()).sum();
        assertEquals(total.bytes(), sum, what + ": intervals add up to the total");
        for (int i = 1; i < intervals.size(); i++) {
            assertEquals(intervals.get(i - 1).sum().end(), intervals.get(i).sum().start(), 1e-9, what);
        }
    }

    @Test
    void tapirServerReportsTheWholeTestForSlowUdpAndEndsIntervalsWithTheStreams() throws Exception {
        try (var server = new RunningServer(new Iperf3Server.Options(1_000_000_000L, 2_000, 10_000))) {
            String port = String.valueOf(server.port());
            // 32000-byte datagrams at 1 Mbit/s: one every 0.256 s, the last about 0.2 s before the end
            try (var client = Iperf3Process.start("-c", "127.0.0.1", "-p", port, "-u", "-b", "1M", "-l", "32000",
                    "-t", "2")) {
                assertEquals(0, client.await(20), () -> safeText(client) + server.log());
            }
            awaitResults(server, 1);
            TestResult udp = server.output.results.get(0);
            Transfer received = udp.sumReceived();
            assertTrue(received.seconds() >= 1.95 && received.seconds() < 2.5,
                    "the UDP receiver lasts the 2 s test, not to its last datagram: " + received.seconds());
            assertIntervalsTile(udp, received, "UDP");

            try (var client = Iperf3Process.start("-c", "127.0.0.1", "-p", port, "-t", "1")) {
                assertEquals(0, client.await(20), () -> safeText(client) + server.log());
            }
            awaitResults(server, 2);
            TestResult tcp = server.output.results.get(1);
            assertTrue(tcp.sumReceived().seconds() >= 0.95, "TCP receiver: " + tcp.sumReceived().seconds());
            assertIntervalsTile(tcp, tcp.sumReceived(), "TCP");
        }
    }

    @Test
    void tapirServerLeavesTheOmittedStartOut() throws Exception {
        try (var server = new RunningServer(new Iperf3Server.Options(1_000_000_000L, 2_000, 10_000));
                var client = Iperf3Process.start("-c", "127.0.0.1", "-p", String.valueOf(server.port()), "-u", "-b",
                        "8M", "-l", "1000", "-t", "1", "-O", "1", "-J")) {
            assertEquals(0, client.await(20), () -> safeText(client) + server.log());
            awaitResults(server, 1);
            var end = client.json().get("end");
            long sent = end.get("sum").get("bytes").longValue();
            TestResult r = server.output.results.get(0);
            // 1 s at 8 Mbit/s after the omitted second: about 1 MB, not the 2 MB of both seconds
            assertEquals(sent, r.sumReceived().bytes(), sent * 0.1, "bytes after the omitted start");
            assertEquals(1.0, r.sumReceived().seconds(), 0.1);
            assertTrue(r.intervals().get(0).sum().omitted(), "the first interval is the omitted one");
            assertEquals(0.0, r.intervals().get(1).sum().start(), 1e-9, "measured intervals start at 0 again");
            assertEquals(0, end.get("sum").get("lost_packets").longValue());
            long packets = end.get("sum").get("packets").longValue();
            assertEquals(sent / 1000, packets, 2, "the client's datagram count after the omitted start");
        }
    }

    @Test
    void tapirClientSenderLastsTheTestAndNoIntervalTrailsIt() throws Exception {
        int port = freePort();
        try (var server = Iperf3Process.start("-s", "-1", "-p", String.valueOf(port))) {
            awaitListening(port);
            TestSpec spec = new TestSpec(Protocol.TCP, 131072, 0, 0, Iperf3InteropTest.SECOND,
                    Iperf3InteropTest.SECOND / 2, 0, 1, false, false, null, null, false);
            TestResult r = Iperf3InteropTest.runClient(spec, port, Iperf3Client.Options.DEFAULT).result();
            assertEquals(0, server.await(10));
            Transfer sent = r.sumSent();
            assertEquals(1.0, sent.seconds(), 0.02, "a 1 s sender lasts 1 s from the test's start");
            Interval last = r.intervals().get(r.intervals().size() - 1);
            assertTrue(last.sum().end() <= sent.end() + 0.03,
                    "no interval runs past the sender's end: " + last.sum().end() + " vs " + sent.end());
            long sum = r.intervals().stream().mapToLong(i -> i.sum().bytes()).sum();
            assertEquals(sent.bytes(), sum, "intervals add up to what was sent");
        }
    }
}
