package dev.tapir.engine.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** tapir's -J output against the documents iperf3 3.12 printed (iperf-wire.md part B §5), byte for byte. */
class JsonReportTest {
    private static String resource(String name) throws IOException {
        try (InputStream in = JsonReportTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void clientTcpMatchesIperf3ByteForByte() throws IOException {
        assertEquals(resource("iperf3-client-tcp.json"), JsonReport.render(ReportFixtures.clientTcp(), true));
    }

    @Test
    void clientUdpMatchesIperf3ByteForByte() throws IOException {
        assertEquals(resource("iperf3-client-udp.json"), JsonReport.render(ReportFixtures.clientUdp(), false));
    }

    @Test
    void serverTcpMatchesIperf3ByteForByte() throws IOException {
        assertEquals(resource("iperf3-server-tcp.json"), JsonReport.render(ReportFixtures.serverTcp(), false));
    }

    @Test
    void reverseClientWritesTheServersRetransmitsAsIperf3Does() {
        // iperf3 -c -R -J: the client receives, yet end.streams[].sender and sum_sent carry the sending server's
        // retransmits, with the window and RTT figures (the sending socket's) at 0
        StreamResult stream = new StreamResult(5, Transfer.of(0, 1.000601, 1846804480L),
                Transfer.of(0, 1.000601, 1846804480L), new TcpFigures(11, 0, 0, 0, 0, 0), null, 0, false);
        TestResult reverse = new TestResult(ReportFixtures.reverseClientStart(), List.of(), List.of(stream), false,
                CpuUtilization.NONE, "bbr", "bbr");
        JsonNode end = JsonReport.build(reverse, true).get("end");
        JsonNode sender = end.get("streams").get(0).get("sender");
        assertEquals(List.of("socket", "start", "end", "seconds", "bytes", "bits_per_second", "retransmits",
                "max_snd_cwnd", "max_snd_wnd", "max_rtt", "min_rtt", "mean_rtt", "sender"), keys(sender));
        assertEquals(11, sender.get("retransmits").longValue());
        assertEquals(0, sender.get("max_snd_cwnd").longValue());
        assertEquals(11, end.get("sum_sent").get("retransmits").longValue());
        assertEquals(false, end.get("sum_sent").get("sender").booleanValue());
    }

    private static List<String> keys(JsonNode node) {
        List<String> keys = new ArrayList<>();
        node.fieldNames().forEachRemaining(keys::add);
        return keys;
    }

    @Test
    void parsesBackWithIperf3KeysAndTypes() throws IOException {
        JsonNode root = new ObjectMapper().readTree(JsonReport.render(ReportFixtures.clientTcp(), true));
        assertEquals(List.of("start", "intervals", "end"), keys(root));
        assertEquals(List.of("streams", "sum_sent", "sum_received", "cpu_utilization_percent",
                "sender_tcp_congestion", "receiver_tcp_congestion"), keys(root.get("end")));
        JsonNode interval = root.get("intervals").get(0).get("streams").get(0);
        assertTrue(interval.get("socket").isInt());
        assertTrue(interval.get("bytes").isIntegralNumber());
        assertTrue(interval.get("bits_per_second").isDouble());
        assertTrue(interval.get("omitted").isBoolean());
        assertEquals(4014735360L, root.get("end").get("sum_sent").get("bytes").asLong());
        assertEquals(27, root.get("end").get("sum_sent").get("retransmits").asInt());
        assertEquals("TCP", root.get("start").get("test_start").get("protocol").asText());
    }

    @Test
    void printsNumbersByIperf3sCJsonRule() {
        assertEquals("0", JsonReport.CJson.number(0.0));
        assertEquals("18446744073709551615", JsonReport.CJson.number(-1));
        assertEquals("2.003533", JsonReport.CJson.number(2.003533));
        assertEquals("1.0027190446853638", JsonReport.CJson.number((float) 1.002719));
        assertEquals("9.7789844830533847e-06", JsonReport.CJson.number(9.7789844830533847e-06));
        assertEquals("0.0215241124474186", JsonReport.CJson.number(0.0215241124474186));
    }

    @Test
    void verificationIsTapirsOwnKeyAtTheEnd() throws IOException {
        TestResult r = ReportFixtures.clientTcp();
        for (Verification v : new Verification[] {Verification.clean(5, 4096),
            new Verification(5, 4096, 3, 1000, 0x41, 0x42)}) {
            TestResult verified = new TestResult(r.start(), r.intervals(), r.streams(), r.localSender(), r.cpu(),
                    r.senderCongestion(), r.receiverCongestion(), v);
            JsonNode end = new ObjectMapper().readTree(JsonReport.render(verified, true)).get("end");
            assertEquals("tapir_verify", keys(end).getLast());
            JsonNode verify = end.get("tapir_verify");
            assertEquals(5, verify.get("seed").asLong());
            assertEquals(4096, verify.get("bytes_checked").asLong());
            assertEquals(v.failed(), verify.get("mismatch").asBoolean());
            if (v.failed()) {
                assertEquals(List.of("seed", "bytes_checked", "mismatch", "stream", "first_bad_offset", "expected",
                        "actual"), keys(verify));
                assertEquals(1000, verify.get("first_bad_offset").asLong());
                assertEquals(0x42, verify.get("actual").asInt());
            } else {
                assertEquals(List.of("seed", "bytes_checked", "mismatch"), keys(verify));
            }
            String human = HumanReport.summary(verified);
            assertTrue(human.endsWith("\n" + v.line() + "\n"), human);
        }
        assertTrue(!HumanReport.summary(r).contains("verify"));
    }
}
