package dev.tapir.engine.iperf3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tapir.engine.report.Verification;
import java.util.List;
import org.junit.jupiter.api.Test;

class Iperf3ResultsTest {
    /** The UDP server's results captured from iperf3 3.12 (reference part B §1.1). */
    private static final String UDP_SERVER = "{\"cpu_util_total\":1.9188872213829145,\"cpu_util_user\":0,"
            + "\"cpu_util_system\":1.9187872376802579,\"sender_has_retransmits\":18446744073709551615,\"streams\":[{\"id\":1,"
            + "\"bytes\":1249200,\"retransmits\":18446744073709551615,\"jitter\":9.7789844830533847e-06,\"errors\":0,"
            + "\"packets\":1041,\"start_time\":0,\"end_time\":1.000152}]}";

    @Test
    void parsesUnsignedMinusOneAsNotAvailable() throws Exception {
        var r = Iperf3Results.fromJson((ObjectNode) ControlChannel.JSON.readTree(UDP_SERVER));
        assertEquals(-1, r.senderHasRetransmits());
        assertNull(r.congestionUsed());
        var s = r.stream(1);
        assertEquals(1249200, s.bytes());
        assertEquals(-1, s.retransmits());
        assertEquals(9.7789844830533847e-06, s.jitterSeconds());
        assertEquals(1041, s.packets());
        assertEquals(1.000152, s.endTime());
    }

    @Test
    void writesNotAvailableAsIperf3Does() throws Exception {
        var r = new Iperf3Results(1.5, 0, 1.5, -1, "cubic",
                List.of(new Iperf3Results.Stream(3, 3732930560L, -1, 0, 0, 0, 0, 1.25)), null, null);
        String text = ControlChannel.JSON.writeValueAsString(r.toJson());
        assertEquals("{\"cpu_util_total\":1.5,\"cpu_util_user\":0.0,\"cpu_util_system\":1.5,"
                + "\"sender_has_retransmits\":18446744073709551615,\"congestion_used\":\"cubic\",\"streams\":[{\"id\":3,"
                + "\"bytes\":3732930560,\"retransmits\":18446744073709551615,\"jitter\":0.0,\"errors\":0,\"packets\":0,"
                + "\"start_time\":0.0,\"end_time\":1.25}]}", text);
        assertEquals(r, Iperf3Results.fromJson((ObjectNode) ControlChannel.JSON.readTree(text)));
    }

    @Test
    void carriesServerOutput() throws Exception {
        var output = ControlChannel.JSON.readTree("{\"start\":{\"version\":\"tapir\"}}");
        var r = new Iperf3Results(0, 0, 0, 1, null, List.of(), output, null);
        var back = Iperf3Results.fromJson(r.toJson());
        assertEquals("tapir", back.serverOutputJson().get("start").get("version").textValue());
        var text = new Iperf3Results(0, 0, 0, 1, null, List.of(), null, "line 1\nline 2\n");
        assertEquals("line 1\nline 2\n", Iperf3Results.fromJson(text.toJson()).serverOutputText());
    }

    @Test
    void rejectsResultsWithoutRequiredFields() throws Exception {
        assertThrows(Iperf3ProtocolException.class,
                () -> Iperf3Results.fromJson((ObjectNode) ControlChannel.JSON.readTree("{\"streams\":[]}")));
        assertThrows(Iperf3ProtocolException.class, () -> Iperf3Results.fromJson((ObjectNode) ControlChannel.JSON.readTree(
                "{\"cpu_util_total\":0,\"cpu_util_user\":0,\"cpu_util_system\":0,\"sender_has_retransmits\":0,"
                        + "\"streams\":[{\"id\":1}]}")));
    }

    @Test
    void carriesTapirsVerificationBothWays() throws Exception {
        var stream = new Iperf3Results.Stream(1, 1000, -1, 0, 0, 0, 0, 1.0);
        for (Verification v : new Verification[] {Verification.clean(9, 123_456),
            new Verification(-3, 99, 4, 1_234_567_890_123L, 0xff, 0x00)}) {
            var r = new Iperf3Results(1, 0, 1, -1, null, List.of(stream), null, null, v);
            var text = ControlChannel.JSON.writeValueAsString(r.toJson());
            assertEquals(v, Iperf3Results.fromJson((ObjectNode) ControlChannel.JSON.readTree(text)).verification(),
                    text);
        }
        var plain = new Iperf3Results(1, 0, 1, -1, null, List.of(stream), null, null);
        assertFalse(ControlChannel.JSON.writeValueAsString(plain.toJson()).contains("tapir_verify"));
        assertNull(Iperf3Results.fromJson(plain.toJson()).verification());
        var lacking = plain.toJson();
        lacking.putObject("tapir_verify").put("seed", 1).put("bytes_checked", 5).put("mismatch", true);
        assertThrows(Iperf3ProtocolException.class, () -> Iperf3Results.fromJson(lacking));
    }
}
