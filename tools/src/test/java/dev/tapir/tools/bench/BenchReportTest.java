package dev.tapir.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchReportTest {
    private static Measurement udp(Tool tool, int iteration, double pps, double loss, double otherCpu) {
        return new Measurement(tool, "udp", 64, iteration, pps * 512, pps, loss, tool.isTapir() ? 1 : -1,
                tool.isTapir() ? 0 : -1, otherCpu);
    }

    @Test
    void printsMediansLossEveryTapirToCToolRatioAndTheWorstNoise(@TempDir Path dir) throws Exception {
        BenchConfig config = new BenchConfig(List.of(Tool.TAPIR, Tool.TAPIR_NO_GSO, Tool.IPERF3), true, List.of(64),
                3, 3, "0", List.of("java"), List.of(), dir, 0);
        List<Measurement> results = List.of(
                udp(Tool.TAPIR, 1, 3_000_000, 1.0, 4), udp(Tool.TAPIR, 2, 2_000_000, 3.0, 2),
                udp(Tool.TAPIR, 3, 2_500_000, 2.0, 30),
                udp(Tool.TAPIR_NO_GSO, 1, 300_000, 0.5, 1), udp(Tool.IPERF3, 1, 250_000, 0.8, 5));
        BenchReport report = new BenchReport(config, results);
        assertEquals(2_500_000, report.median(Tool.TAPIR, 64));
        assertEquals(2.0, report.medianLoss(Tool.TAPIR, 64));
        assertTrue(Double.isNaN(report.median(Tool.IPERF2, 64)));

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        report.printSummary(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String text = bytes.toString(StandardCharsets.UTF_8);
        String row = text.lines().filter(l -> l.startsWith("64 ")).findFirst().orElseThrow();
        List<String> cells = List.of(row.trim().split("\\s+"));
        // length, then kpkt/s and loss per tool, then tapir/iperf3 and tapir-nogso/iperf3, then the noise
        assertEquals(List.of("64", "2500.000", "2.00", "300.000", "0.50", "250.000", "0.80", "10.00x", "1.20x", "30"),
                cells);
        assertTrue(text.contains("tapir GC pauses over all runs (client + server JVMs): 4, of which 0"), text);

        report.write();
        List<String> csv = Files.readAllLines(dir.resolve("results.csv"));
        assertEquals(6, csv.size());
        assertEquals("tapir,udp,64,1,1536000000,3000000,1.0000,1,0,4.0", csv.get(1));
    }

    @Test
    void medianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
        assertEquals(2.5, BenchReport.median(new double[] {4, 1, 2, 3}));
        assertTrue(Double.isNaN(BenchReport.median(new double[0])));
    }
}
