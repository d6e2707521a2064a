package dev.tapir.engine.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tapir.engine.test.Protocol;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A {@code --bidir -P 2} TCP test's final report as iperf3 3.12 prints it on each side: role tags, each direction's
 * streams followed by their own [SUM], a server showing only its own side, and the {@code _bidir_reverse} sums in
 * JSON (streams 5 and 7 go from the client, 9 and 12 from the server).
 */
class BidirReportTest {
    private static final long BYTES = 12_582_912;

    private static TestResult bidir(boolean client) {
        List<Connection> connected = new ArrayList<>();
        List<StreamResult> streams = new ArrayList<>();
        List<IntervalSample> samples = new ArrayList<>();
        for (int id : new int[] {5, 7, 9, 12}) {
            connected.add(new Connection(id, "127.0.0.1", 40000 + id, "127.0.0.1", 5201));
            boolean clientSends = id < 9;
            boolean sentHere = clientSends == client;
            // retransmits are known where the stream was sent, and on a client for all (from the server's results)
            TcpFigures tcp = sentHere || client ? new TcpFigures(id == 12 ? 2 : 0, 1, 1, 1, 1, 1) : TcpFigures.UNKNOWN;
            streams.add(new StreamResult(id, Transfer.of(0, 1.0001, BYTES), Transfer.of(0, 1.0002, BYTES), tcp, null,
                    0, sentHere));
            // a stream's bytes in the one interval: its id in MiB, so every sum tells which streams it took
            samples.add(new IntervalSample(id, sentHere, 0, 1, id << 20, 0, sentHere ? 0 : -1, -1, -1, -1, -1, -1, 0,
                    0, 0, false));
        }
        TestStart start = new TestStart(client, connected, "iperf 3.12", ReportFixtures.SYSTEM, 1795829159L,
                "127.0.0.1", 5201, "frll3zqb376vbkktltvdw4qn5t2d6srivgnp", 32768, 100_000_000, 0, 16384, 131072,
                Protocol.TCP, 2, 131072, 0, 1, 0, 0, false, 0);
        Interval interval = new Interval(samples, IntervalSample.sumOf(samples));
        return new TestResult(start, List.of(interval), streams, client, CpuUtilization.NONE, "bbr", "bbr");
    }

    /** Each summary line cut to its tag and its last word. */
    private static List<String> shape(String summary) {
        List<String> lines = new ArrayList<>();
        for (String line : summary.split("\n")) {
            if (line.startsWith("[") && !line.startsWith("[ ID]")) {
                String[] words = line.trim().split(" +");
                lines.add(line.substring(0, line.indexOf(']', line.indexOf(']') + 1) + 1) + " "
                        + words[words.length - 1]);
            }
        }
        return lines;
    }

    @Test
    void theClientPrintsBothSidesOfEachDirectionWithItsSum() {
        String summary = HumanReport.summary(bidir(true));
        assertTrue(summary.contains("[ ID][Role] Interval           Transfer     Bitrate         Retr\n"), summary);
        assertEquals(List.of("[  5][TX-C] sender", "[  5][TX-C] receiver", "[  7][TX-C] sender",
                "[  7][TX-C] receiver", "[SUM][TX-C] sender", "[SUM][TX-C] receiver", "[  9][RX-C] sender",
                "[  9][RX-C] receiver", "[ 12][RX-C] sender", "[ 12][RX-C] receiver", "[SUM][RX-C] sender",
                "[SUM][RX-C] receiver"), shape(summary));
        assertTrue(summary.contains(
                "[SUM][TX-C]   0.00-1.00   sec  24.0 MBytes   201 Mbits/sec    0             sender\n"), summary);
        assertTrue(summary.contains(
                "[SUM][RX-C]   0.00-1.00   sec  24.0 MBytes   201 Mbits/sec    2             sender\n"), summary);
    }

    @Test
    void theServerPrintsOnlyItsOwnSideOfEachDirection() {
        String summary = HumanReport.summary(bidir(false));
        assertEquals(List.of("[  5][RX-S] receiver", "[  7][RX-S] receiver", "[SUM][RX-S] receiver",
                "[  9][TX-S] sender", "[ 12][TX-S] sender", "[SUM][TX-S] sender"), shape(summary));
        assertTrue(summary.contains(
                "[ 12][TX-S]   0.00-1.00   sec  12.0 MBytes   101 Mbits/sec    2             sender\n"), summary);
    }

    @Test
    void jsonSplitsTheSumsByDirectionAsIperf3Does() {
        for (boolean client : new boolean[] {true, false}) {
            JsonNode end = JsonReport.build(bidir(client), true).get("end");
            String what = client ? "client" : "server";
            for (JsonNode stream : end.get("streams")) {
                boolean sentHere = (stream.get("sender").get("socket").intValue() < 9) == client;
                assertEquals(sentHere, stream.get("sender").get("sender").booleanValue(), what);
                assertEquals(sentHere, stream.get("receiver").get("sender").booleanValue(), what);
                assertEquals(client || sentHere, stream.get("sender").has("retransmits"), what);
            }
            // the plain sums are the client's streams, the _bidir_reverse ones the server's
            assertEquals(2 * BYTES, end.get("sum_sent").get("bytes").longValue(), what);
            assertEquals(client, end.get("sum_sent").get("sender").booleanValue(), what);
            assertEquals(client, end.get("sum_sent").has("retransmits"), what);
            assertEquals(!client, end.get("sum_sent_bidir_reverse").get("sender").booleanValue(), what);
            assertEquals(2, end.get("sum_sent_bidir_reverse").get("retransmits").longValue(), what);
            assertEquals(!client, end.get("sum_received_bidir_reverse").get("sender").booleanValue(), what);
            assertFalse(end.has("sum"), what);
            // intervals too: "sum" takes the client's streams (5 + 7 MiB), "sum_bidir_reverse" the server's (9 + 12)
            JsonNode interval = JsonReport.build(bidir(client), true).get("intervals").get(0);
            assertEquals(12L << 20, interval.get("sum").get("bytes").longValue(), what);
            assertEquals(client, interval.get("sum").get("sender").booleanValue(), what);
            assertEquals(21L << 20, interval.get("sum_bidir_reverse").get("bytes").longValue(), what);
            assertEquals(!client, interval.get("sum_bidir_reverse").get("sender").booleanValue(), what);
        }
    }
}
