package dev.tapir.engine.report;

import dev.tapir.engine.test.Protocol;
import java.util.List;

/** The tests captured from iperf3 3.12 in iperf-wire.md part B §5, as tapir's model. */
final class ReportFixtures {
    static final String SYSTEM = "Linux vm 6.18.44-fc-v657 #1 SMP PREEMPT_DYNAMIC @0 x86_64";

    private ReportFixtures() {
    }

    static TestResult clientTcp() {
        TestStart start = new TestStart(true, List.of(new Connection(5, "127.0.0.1", 55360, "127.0.0.1", 5201)),
                "iperf 3.12", SYSTEM, 1795829159L, "127.0.0.1", 5201, "frll3zqb376vbkktltvdw4qn5t2d6srivgnp",
                32768, 0, 0, 16384, 131072, Protocol.TCP, 1, 131072, 0, 2, 0, 0, false, 0);
        IntervalSample stream = new IntervalSample(5, true, 0, 1.002719, 2441871360L, 0, 4, 1047728, 33029120, 53,
                17, 65535, 0, 0, 0, false);
        IntervalSample sum = new IntervalSample(0, true, 0, 1.002719, 2441871360L, 0, 4, -1, -1, -1, -1, -1, 0, 0,
                0, false);
        StreamResult result = new StreamResult(5, Transfer.of(0, 2.003533, 4014735360L),
                Transfer.of(0, 2.00403, 4014735360L), new TcpFigures(27, 1047728, 33029120, 61, 53, 57), null, 0, true);
        CpuUtilization cpu = new CpuUtilization(40.957269834587279, 0, 40.957269834587279, 40.093919718650014,
                0.851824204162367, 39.242045615582825);
        return new TestResult(start, List.of(new Interval(List.of(stream), sum)), List.of(result), true, cpu, "bbr",
                "bbr");
    }

    static TestResult clientUdp() {
        TestStart start = new TestStart(true, List.of(new Connection(5, "127.0.0.1", 38581, "127.0.0.1", 5201)),
                "iperf 3.12", SYSTEM, 1795829161L, "127.0.0.1", 5201, "vsjqd6bbclbg4hgrr7ot33zk3wtxbat4jgju", 0,
                10_000_000, 0, 212992, 212992, Protocol.UDP, 1, 32768, 0, 2, 0, 0, false, 0);
        IntervalSample stream = new IntervalSample(5, true, 0, 1.000096, 1277952, 39, -1, -1, -1, -1, -1, -1, 0, 0,
                0, false);
        IntervalSample sum = new IntervalSample(0, true, 0, 1.000096, 1277952, 39, -1, -1, -1, -1, -1, -1, 0, 0, 0,
                false);
        StreamResult result = new StreamResult(5, Transfer.of(0, 2.000085, 2523136),
                Transfer.of(0, 2.000315, 2523136), TcpFigures.UNKNOWN,
                new UdpFigures(0.0215241124474186, 0, 77, 0), 77, true);
        CpuUtilization cpu = new CpuUtilization(1.8942557552656951, 0.225317421165143, 1.6689883157822656,
                0.0808369044214837, 0.0808868963227957, 0);
        return new TestResult(start, List.of(new Interval(List.of(stream), sum)), List.of(result), true, cpu, null,
                null);
    }

    /** The start of a client's {@code -R} TCP test (iperf3 -c 127.0.0.1 -R): one stream the server sends. */
    static TestStart reverseClientStart() {
        return new TestStart(true, List.of(new Connection(5, "127.0.0.1", 60368, "127.0.0.1", 5201)), "iperf 3.12",
                SYSTEM, 1795829159L, "127.0.0.1", 5201, "frll3zqb376vbkktltvdw4qn5t2d6srivgnp", 32768, 0, 0, 16384,
                131072, Protocol.TCP, 1, 131072, 0, 1, 0, 0, true, 0);
    }

    static TestResult serverTcp() {
        TestStart start = new TestStart(false, List.of(new Connection(5, "127.0.0.1", 5202, "127.0.0.1", 40230)),
                "iperf 3.12", SYSTEM, 1795829164L, "127.0.0.1", 40222, "kcznmu3kjzw6zd4chut2taqy64e25ttchugo", 0, 0,
                0, 16384, 131072, Protocol.TCP, 1, 131072, 0, 2, 0, 0, false, 0);
        IntervalSample stream = new IntervalSample(5, false, 0, 1.001707, 2003435414L, 0, -1, -1, -1, -1, -1, -1, 0,
                0, 0, false);
        IntervalSample sum = new IntervalSample(0, false, 0, 1.001707, 2003435414L, 0, -1, -1, -1, -1, -1, -1, 0, 0,
                0, false);
        // the client's retransmits, as its results bring them (a server shows no Retr column for them all the same)
        StreamResult result = new StreamResult(5, Transfer.of(0, 2.001682, 0), Transfer.of(0, 2.001682, 3387031552L),
                new TcpFigures(27, 0, 0, 0, 0, 0), null, 0, false);
        CpuUtilization cpu = new CpuUtilization(33.900788585616617, 0.760209523476471, 33.140529104229685, 0, 0, 0);
        return new TestResult(start, List.of(new Interval(List.of(stream), sum)), List.of(result), false, cpu, null,
                "bbr");
    }
}
