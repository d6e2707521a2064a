package dev.tapir.engine.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class CsvReportTest {
    private static final InetSocketAddress SERVER = new InetSocketAddress("127.0.0.1", 5001);

    @Test
    void tcpLineMatchesIperf2() {
        assertEquals("19700101000000,127.0.0.1,59620,127.0.0.1,5001,1,0.0-1.0,3050569788,24396458679\n",
                CsvReport.tcp(CsvReport.EPOCH_TIMESTAMP, new InetSocketAddress("127.0.0.1", 59620), SERVER, 1, 0,
                        1.0, 3_050_569_788L, 24_396_458_679.9));
    }

    @Test
    void udpLinesMatchIperf2() {
        InetSocketAddress client = new InetSocketAddress("127.0.0.1", 49698);
        InetSocketAddress server = new InetSocketAddress("127.0.0.1", 5004);
        assertEquals("20261128012804,127.0.0.1,49698,127.0.0.1,5004,1,0.0-1.0,133770,1070160,0.002,0,91,0.000,0\n",
                CsvReport.udp("20261128012804", client, server, 1, 0, 1.0, 133_770, 1_070_160, 0.0021, 0, 91, 0.0,
                        0));
        assertEquals("19700101000000,127.0.0.1,53957,127.0.0.1,5003,1,0.0-1.0,136710,1071429,0.000,0,-1,-0.000,0\n",
                CsvReport.udp(CsvReport.EPOCH_TIMESTAMP, new InetSocketAddress("127.0.0.1", 53957),
                        new InetSocketAddress("127.0.0.1", 5003), 1, 0, 1.0, 136_710, 1_071_429.4, 0, 0, -1, -0.0,
                        0));
    }

    @Test
    void timestampHasSecondsOrMillis() {
        java.time.Instant when = java.time.LocalDateTime.of(2026, 11, 28, 1, 28, 4, 123_000_000)
                .atZone(java.time.ZoneId.systemDefault()).toInstant();
        assertEquals("20261128012804", CsvReport.timestamp(when, false));
        assertEquals("20261128012804.123", CsvReport.timestamp(when, true));
    }
}
