package dev.tapir.engine.iperf3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

class Iperf3ParametersTest {
    private static ObjectNode parse(String text) throws Exception {
        return (ObjectNode) ControlChannel.JSON.readTree(text);
    }

    private static String write(Iperf3Parameters p) throws Exception {
        return ControlChannel.JSON.writeValueAsString(p.toJson());
    }

    @Test
    void writesTheBytesIperf312SendsForADefaultTcpTest() throws Exception {
        var p = new Iperf3Parameters(false, 0, 1, 0, 0, 0, false, 1, false, false, 0, 131072, 0, 1000, null, false,
                false, null);
        assertEquals("{\"tcp\":true,\"omit\":0,\"time\":1,\"num\":0,\"blockcount\":0,\"parallel\":1,\"len\":131072,"
                + "\"pacing_timer\":1000,\"client_version\":\"3.12\"}", write(p));
    }

    @Test
    void writesTheBytesIperf312SendsForUdpWith64BitCounters() throws Exception {
        var p = new Iperf3Parameters(true, 0, 1, 0, 0, 0, false, 1, false, false, 0, 1200, 10_000_000, 1000, null,
                false, true, null);
        assertEquals("{\"udp\":true,\"omit\":0,\"time\":1,\"num\":0,\"blockcount\":0,\"parallel\":1,\"len\":1200,"
                + "\"bandwidth\":10000000,\"pacing_timer\":1000,\"udp_counters_64bit\":1,\"client_version\":\"3.12\"}",
                write(p));
    }

    @Test
    void writesReverseBidirAndBytesLikeIperf312() throws Exception {
        var reverse = new Iperf3Parameters(false, 0, 1, 0, 0, 0, false, 1, true, false, 0, 131072, 0, 1000, null,
                false, false, null);
        assertEquals(138, write(reverse).length());
        var bidir = new Iperf3Parameters(false, 0, 1, 0, 0, 0, false, 1, false, true, 0, 131072, 0, 1000, null, false,
                false, null);
        assertEquals(144, write(bidir).length());
        var bytes = new Iperf3Parameters(false, 0, 0, 10485760, 0, 0, false, 1, false, false, 0, 131072, 0, 1000,
                null, false, false, null);
        assertEquals("{\"tcp\":true,\"omit\":0,\"time\":0,\"num\":10485760,\"blockcount\":0,\"parallel\":1,"
                + "\"len\":131072,\"pacing_timer\":1000,\"client_version\":\"3.12\"}", write(bytes));
    }

    @Test
    void readsEveryOptionBack() throws Exception {
        var p = new Iperf3Parameters(false, 2, 5, 0, 77, 1400, true, 4, true, false, 262144, 8192, 5_000_000, 1000,
                "cubic", true, false, "3.12");
        assertEquals(p, Iperf3Parameters.fromJson(p.toJson()));
    }

    @Test
    void minimalTcpParametersGetIperf3Defaults() throws Exception {
        var p = Iperf3Parameters.fromJson(parse("{\"tcp\":true}"));
        assertFalse(p.udp());
        assertEquals(10, p.timeSeconds());
        assertEquals(1, p.parallel());
        assertEquals(131072, p.length());
        assertNull(p.clientVersion());
        assertTrue(Iperf3Parameters.fromJson(parse("{\"udp\":true}")).udp());
    }

    @Test
    void rejectsValuesOutsideIperf3Limits() throws Exception {
        assertThrows(Iperf3ProtocolException.class, () -> Iperf3Parameters.fromJson(parse("{\"tcp\":true,\"parallel\":0}")));
        assertThrows(Iperf3ProtocolException.class, () -> Iperf3Parameters.fromJson(parse("{\"tcp\":true,\"parallel\":129}")));
        assertThrows(Iperf3ProtocolException.class,
                () -> Iperf3Parameters.fromJson(parse("{\"tcp\":true,\"len\":18446744073709551615}")));
        assertThrows(Iperf3ProtocolException.class, () -> Iperf3Parameters.fromJson(parse("{\"udp\":true,\"len\":8}")));
        assertThrows(Iperf3ProtocolException.class, () -> Iperf3Parameters.fromJson(parse("{\"tcp\":true,\"time\":\"x\"}")));
        assertThrows(Iperf3ProtocolException.class, () -> Iperf3Parameters.fromJson(parse("{\"sctp\":true}")));
    }

    @Test
    void carriesTapirsVerifySeedAsItsOwnLastKey() throws Exception {
        var p = new Iperf3Parameters(false, 0, 1, 0, 0, 0, false, 1, false, false, 0, 131072, 0, 1000, null, false,
                false, null, -77L);
        String text = write(p);
        assertTrue(text.endsWith(",\"client_version\":\"3.12\",\"tapir_verify\":-77}"), text);
        assertEquals(-77L, Iperf3Parameters.fromJson(parse(text)).verifySeed());
        assertNull(Iperf3Parameters.fromJson(parse("{\"tcp\":true}")).verifySeed());
        var e = assertThrows(Iperf3ProtocolException.class,
                () -> Iperf3Parameters.fromJson(parse("{\"tcp\":true,\"tapir_verify\":\"x\"}")));
        assertEquals("parameter \"tapir_verify\" must be a 64-bit integer seed", e.getMessage());
        assertThrows(Iperf3ProtocolException.class,
                () -> Iperf3Parameters.fromJson(parse("{\"tcp\":true,\"tapir_verify\":1e30}")));
    }
}
