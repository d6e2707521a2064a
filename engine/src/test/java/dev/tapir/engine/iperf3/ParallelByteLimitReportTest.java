package dev.tapir.engine.iperf3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tapir.engine.iperf3.Iperf3InteropTest.RunningServer;
import dev.tapir.engine.report.HumanReport;
import dev.tapir.engine.report.Interval;
import dev.tapir.engine.report.IntervalSample;
import dev.tapir.engine.report.JsonReport;
import dev.tapir.engine.report.StreamResult;
import dev.tapir.engine.report.TestResult;
import dev.tapir.engine.report.Transfer;
import dev.tapir.engine.test.Protocol;
import dev.tapir.engine.test.TestSpec;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code -P 2 -n} between a tapir client and a tapir server on loopback: every interval and every final line, in the
 * model, the human text and the -J document, runs forwards, the intervals of each stream tile the test from 0 without
 * gap or overlap, and the sums add up to the per-stream totals. (Streams start at different moments; the final lines
 * once printed a late stream's start against its duration, "0.05-0.00 sec".)
 */
class ParallelByteLimitReportTest {
    private static final Pattern LINE = Pattern.compile("^\\[\\s*(\\S+)\\]\\s+(\\d+\\.\\d+)-(\\d+\\.\\d+)\\s+sec.*$");
    private static final long BYTES = 24L * 1024 * 1024 + 4321;

    @Test
    void intervalsAndFinalLinesRunForwardsTileAndAddUp() throws Exception {
        try (var server = new RunningServer(new Iperf3Server.Options(20_000_000L, 2_000, 10_000))) {
            int served = 0;
            // One interval of a second (longer than the test: its one short interval is still reported, as iperf3
            // does) and one of 20 ms (several intervals); then the same in reverse.
            for (long interval : new long[] {1_000_000_000L, 20_000_000L}) {
                for (boolean reverse : new boolean[] {false, true}) {
                    String what = "-i " + interval / 1e9 + (reverse ? " -R" : "");
                    TestSpec spec = new TestSpec(Protocol.TCP, 128 * 1024, BYTES, 0, 0, interval, 0, 2, reverse,
                            false, null, null, false);
                    TestResult client = Iperf3InteropTest.runClient(spec, server.port(),
                            Iperf3Client.Options.DEFAULT).result();
                    Iperf3InteropTest.awaitResults(server, ++served);
                    TestResult onServer = server.output.results.get(served - 1);
                    for (TestResult r : new TestResult[] {client, onServer}) {
                        String side = what + (r == client ? " client" : " server");
                        checkModel(r, side);
                        checkHuman(HumanReport.render(r, true), side);
                        checkJson(JsonReport.build(r, true), side);
                    }
                    assertEquals(BYTES, client.sumSent().bytes(), what);
                    assertEquals(BYTES, client.sumReceived().bytes(), what);
                }
            }
        }
    }

    private static void checkModel(TestResult r, String side) {
        assertEquals(2, r.streams().size(), side);
        assertFalse(r.intervals().isEmpty(), side + ": no interval reported");
        Map<Integer, Long> intervalBytes = new HashMap<>();
        Map<Integer, Double> lastEnd = new HashMap<>();
        for (Interval interval : r.intervals()) {
            long sum = 0;
            for (IntervalSample s : interval.streams()) {
                assertTrue(s.end() >= s.start(), side + ": interval " + s.start() + "-" + s.end());
                assertEquals(lastEnd.getOrDefault(s.id(), 0.0), s.start(), 0.0, side + ": stream " + s.id()
                        + " interval does not start where the last ended");
                lastEnd.put(s.id(), s.end());
                intervalBytes.merge(s.id(), s.bytes(), Long::sum);
                sum += s.bytes();
            }
            assertEquals(sum, interval.sum().bytes(), side);
            assertTrue(interval.sum().end() >= interval.sum().start(), side);
        }
        long total = 0;
        for (StreamResult s : r.streams()) {
            Transfer local = r.localSender() ? s.sent() : s.received();
            assertEquals(local.bytes(), intervalBytes.get(s.id()), side + ": intervals of stream " + s.id());
            total += local.bytes();
            for (Transfer t : new Transfer[] {s.sent(), s.received()}) {
                assertEquals(0.0, t.start(), 0.0, side);
                assertTrue(t.end() >= t.start() && t.seconds() >= 0, side + ": " + t);
            }
        }
        assertEquals(BYTES, total, side);
        Transfer sum = r.localSender() ? r.sumSent() : r.sumReceived();
        assertEquals(total, sum.bytes(), side);
        assertTrue(sum.end() >= sum.start(), side);
    }

    /** Every "a-b sec" line has b >= a; interval lines of one stream tile from 0.00; final lines start at 0.00. */
    private static void checkHuman(String text, String side) {
        Map<String, String> lastEnd = new HashMap<>();
        int lines = 0;
        int finals = 0;
        for (String line : text.split("\n")) {
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                continue;
            }
            lines++;
            double start = Double.parseDouble(m.group(2));
            double end = Double.parseDouble(m.group(3));
            assertTrue(end >= start, side + ": " + line + "\n" + text);
            if (line.endsWith("sender") || line.endsWith("receiver")) {
                finals++;
                assertEquals("0.00", m.group(2), side + ": " + line);
            } else {
                assertEquals(lastEnd.getOrDefault(m.group(1), "0.00"), m.group(2), side + ": " + line + "\n" + text);
                lastEnd.put(m.group(1), m.group(3));
            }
        }
        assertTrue(lines > finals && finals >= 3, side + ": " + text);
    }

    private static void checkJson(JsonNode root, String side) {
        Map<Integer, Long> intervalBytes = new HashMap<>();
        Map<Integer, Double> lastEnd = new HashMap<>();
        for (JsonNode interval : root.get("intervals")) {
            long sum = 0;
            for (JsonNode s : interval.get("streams")) {
                int id = s.get("socket").asInt();
                double start = s.get("start").asDouble();
                double end = s.get("end").asDouble();
                assertTrue(end >= start, side + ": " + s);
                assertEquals(lastEnd.getOrDefault(id, 0.0), start, 0.0, side + ": " + s);
                lastEnd.put(id, end);
                intervalBytes.merge(id, s.get("bytes").asLong(), Long::sum);
                sum += s.get("bytes").asLong();
            }
            assertEquals(sum, interval.get("sum").get("bytes").asLong(), side);
        }
        JsonNode end = root.get("end");
        long sent = 0;
        long received = 0;
        boolean localSender = end.get("sum_sent").get("sender").asBoolean();
        for (JsonNode stream : end.get("streams")) {
            for (String role : new String[] {"sender", "receiver"}) {
                JsonNode t = stream.get(role);
                assertEquals(0.0, t.get("start").asDouble(), 0.0, side + ": " + t);
                assertTrue(t.get("end").asDouble() >= 0 && t.get("seconds").asDouble() >= 0, side + ": " + t);
            }
            sent += stream.get("sender").get("bytes").asLong();
            received += stream.get("receiver").get("bytes").asLong();
            JsonNode local = stream.get(localSender ? "sender" : "receiver");
            assertEquals(local.get("bytes").asLong(), intervalBytes.get(local.get("socket").asInt()), side);
        }
        assertEquals(sent, end.get("sum_sent").get("bytes").asLong(), side);
        assertEquals(received, end.get("sum_received").get("bytes").asLong(), side);
        assertEquals(BYTES, localSender ? sent : received, side);
    }
}
