package dev.tapir.engine.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tapir.engine.test.Protocol;
import java.util.List;
import org.junit.jupiter.api.Test;

class HumanReportTest {
    @Test
    void clientTcpReport() {
        String expected = """
                Connecting to host 127.0.0.1, port 5201
                [  5] local 127.0.0.1 port 55360 connected to 127.0.0.1 port 5201
                [ ID] Interval           Transfer     Bitrate         Retr  Cwnd
                [  5]   0.00-1.00   sec  2.27 GBytes  19.5 Gbits/sec    4   1023 KBytes      \s
                - - - - - - - - - - - - - - - - - - - - - - - - -
                [ ID] Interval           Transfer     Bitrate         Retr
                [  5]   0.00-2.00   sec  3.74 GBytes  16.0 Gbits/sec   27             sender
                [  5]   0.00-2.00   sec  3.74 GBytes  16.0 Gbits/sec                  receiver

                iperf Done.
                """;
        assertEquals(expected, HumanReport.render(ReportFixtures.clientTcp(), true));
    }

    @Test
    void serverTcpReportShowsOnlyTheReceiverSide() {
        String expected = """
                Accepted connection from 127.0.0.1, port 40222
                [  5] local 127.0.0.1 port 5202 connected to 127.0.0.1 port 40230
                [ ID] Interval           Transfer     Bitrate
                [  5]   0.00-1.00   sec  1.87 GBytes  16.0 Gbits/sec                 \s
                - - - - - - - - - - - - - - - - - - - - - - - - -
                [ ID] Interval           Transfer     Bitrate
                [  5]   0.00-2.00   sec  3.15 GBytes  13.5 Gbits/sec                  receiver
                """;
        assertEquals(expected, HumanReport.render(ReportFixtures.serverTcp(), false));
    }

    @Test
    void clientUdpReport() {
        String expected = """
                Connecting to host 127.0.0.1, port 5201
                [  5] local 127.0.0.1 port 38581 connected to 127.0.0.1 port 5201
                [ ID] Interval           Transfer     Bitrate         Total Datagrams
                [  5]   0.00-1.00   sec  1.22 MBytes  10.2 Mbits/sec  39 \s
                - - - - - - - - - - - - - - - - - - - - - - - - -
                [ ID] Interval           Transfer     Bitrate         Jitter    Lost/Total Datagrams
                [  5]   0.00-2.00   sec  2.41 MBytes  10.1 Mbits/sec  0.000 ms  0/77 (0%)  sender
                [  5]   0.00-2.00   sec  2.41 MBytes  10.1 Mbits/sec  0.022 ms  0/77 (0%)  receiver

                iperf Done.
                """;
        assertEquals(expected, HumanReport.render(ReportFixtures.clientUdp(), false));
    }

    @Test
    void reverseClientSaysTheServerSends() {
        assertEquals("""
                Connecting to host 127.0.0.1, port 5201
                Reverse mode, remote host 127.0.0.1 is sending
                [  5] local 127.0.0.1 port 60368 connected to 127.0.0.1 port 5201
                """, HumanReport.header(ReportFixtures.reverseClientStart()));
    }

    @Test
    void parallelStreamsGetSumLinesAndSeparators() {
        IntervalSample a = new IntervalSample(5, false, 0, 1, 1000, 100, -1, -1, -1, -1, -1, -1, 0.5, 2, 0, false);
        IntervalSample b = new IntervalSample(7, false, 0, 1, 3000, 100, -1, -1, -1, -1, -1, -1, 0.25, 1, 0, false);
        IntervalSample sum = new IntervalSample(0, false, 0, 1, 4000, 200, -1, -1, -1, -1, -1, -1, 0.375, 3, 0, false);
        Interval interval = new Interval(List.of(a, b), sum);
        String first = """
                [ ID] Interval           Transfer     Bitrate         Jitter    Lost/Total Datagrams
                [  5]   0.00-1.00   sec  1000 Bytes  8.00 Kbits/sec  0.500 ms  2/100 (2%) \s
                [  7]   0.00-1.00   sec  2.93 KBytes  24.0 Kbits/sec  0.250 ms  1/100 (1%) \s
                [SUM]   0.00-1.00   sec  3.91 KBytes  32.0 Kbits/sec  0.375 ms  3/200 (1.5%) \s
                """;
        assertEquals(first, HumanReport.interval(Protocol.UDP, interval, true, false));
        String later = HumanReport.interval(Protocol.UDP, interval, false, false);
        assertEquals(HumanReport.SEPARATOR + first.substring(first.indexOf('\n') + 1), later);
    }

    @Test
    void bidirectionalIntervalsGetRoleTagsAndOneSumPerDirection() {
        IntervalSample tx1 = new IntervalSample(5, true, 0, 1, 1000, 0, 1, 2048, -1, -1, -1, -1, 0, 0, 0, false);
        IntervalSample tx2 = new IntervalSample(7, true, 0, 1, 3000, 0, 2, 2048, -1, -1, -1, -1, 0, 0, 0, false);
        IntervalSample rx1 = new IntervalSample(9, false, 0, 1, 500, 0, -1, -1, -1, -1, -1, -1, 0, 0, 0, false);
        IntervalSample rx2 = new IntervalSample(11, false, 0, 1, 500, 0, -1, -1, -1, -1, -1, -1, 0, 0, 0, false);
        IntervalSample all = new IntervalSample(0, true, 0, 1, 5000, 0, -1, -1, -1, -1, -1, -1, 0, 0, 0, false);
        String text = HumanReport.interval(Protocol.TCP, new Interval(List.of(tx1, tx2, rx1, rx2), all), true, true,
                false);
        String expected = """
                [ ID][Role] Interval           Transfer     Bitrate         Retr  Cwnd
                [  5][TX-S]   0.00-1.00   sec  1000 Bytes  8.00 Kbits/sec    1   2.00 KBytes      \s
                [  7][TX-S]   0.00-1.00   sec  2.93 KBytes  24.0 Kbits/sec    2   2.00 KBytes      \s
                [  9][RX-S]   0.00-1.00   sec   500 Bytes  4.00 Kbits/sec                 \s
                [ 11][RX-S]   0.00-1.00   sec   500 Bytes  4.00 Kbits/sec                 \s
                [SUM][TX-S]   0.00-1.00   sec  3.91 KBytes  32.0 Kbits/sec    3            \s
                [SUM][RX-S]   0.00-1.00   sec  1000 Bytes  8.00 Kbits/sec                 \s
                """;
        assertEquals(expected, text);
        // later intervals: a separator, as with -P 2 one way
        assertEquals(HumanReport.SEPARATOR + expected.substring(expected.indexOf('\n') + 1),
                HumanReport.interval(Protocol.TCP, new Interval(List.of(tx1, tx2, rx1, rx2), all), false, true, false));
    }

    @Test
    void bidirectionalWithOneStreamEachWayHasNoSeparator() {
        IntervalSample tx = new IntervalSample(5, true, 1, 2, 1000, 0, 1, 2048, -1, -1, -1, -1, 0, 0, 0, false);
        IntervalSample rx = new IntervalSample(7, false, 1, 2, 500, 0, -1, -1, -1, -1, -1, -1, 0, 0, 0, false);
        IntervalSample all = new IntervalSample(0, true, 1, 2, 1500, 0, -1, -1, -1, -1, -1, -1, 0, 0, 0, false);
        // as iperf3 3.12 prints --bidir: two lines per interval, no separator and no [SUM] (it counts -P, here 1)
        assertEquals("""
                [  5][TX-C]   1.00-2.00   sec  1000 Bytes  8.00 Kbits/sec    1   2.00 KBytes      \s
                [  7][RX-C]   1.00-2.00   sec   500 Bytes  4.00 Kbits/sec                 \s
                """, HumanReport.interval(Protocol.TCP, new Interval(List.of(tx, rx), all), false, true, true));
    }
}
