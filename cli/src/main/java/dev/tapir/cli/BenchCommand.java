package dev.tapir.cli;

import dev.tapir.engine.report.Units;
import dev.tapir.tools.bench.BenchConfig;
import dev.tapir.tools.bench.BenchHarness;
import dev.tapir.tools.bench.BenchReport;
import dev.tapir.tools.bench.Measurement;
import dev.tapir.tools.bench.Tool;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tapir bench}: tapir against iperf3 and iperf 2 on loopback, swept over buffer lengths. */
@Command(name = "bench", description = "Run tapir, iperf3 and iperf 2 side by side on loopback over a sweep of "
        + "buffer lengths; print medians and tapir's ratios, write results.csv/.json and plot.svg.")
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--tools", split = ",", defaultValue = "tapir,iperf3,iperf2",
            description = "Tools to run (tapir, iperf3, iperf2). Default: ${DEFAULT-VALUE}.")
    List<String> tools;

    @Option(names = {"-u", "--udp"}, description = "UDP (packets/s) instead of TCP (bits/s).")
    boolean udp;

    @Option(names = {"-l", "--lengths"}, split = ",", defaultValue = "64,512,1460,2048,131072",
            description = "Buffer lengths to sweep, bytes. Default: ${DEFAULT-VALUE}.")
    List<String> lengths;

    @Option(names = "--iterations", defaultValue = "3", description = "Runs per tool and length. Default: ${DEFAULT-VALUE}.")
    int iterations;

    @Option(names = {"-t", "--time"}, defaultValue = "3", description = "Seconds per run. Default: ${DEFAULT-VALUE}.")
    int seconds;

    @Option(names = {"-b", "--bitrate"}, defaultValue = "0",
            description = "UDP target rate, iperf3 notation (0 = unlimited). Default: ${DEFAULT-VALUE}.")
    String rate;

    @Option(names = "--no-gso", description = "Run tapir's UDP without GSO/GRO batching.")
    boolean noGso;

    @Option(names = {"-o", "--output"}, defaultValue = "bench-results",
            description = "Directory for results and process logs. Default: ${DEFAULT-VALUE}.")
    Path output;

    @Override
    public Integer call() throws Exception {
        List<Tool> selected = new ArrayList<>();
        for (String name : tools) {
            try {
                selected.add(Tool.valueOf(name.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new UserError("unknown tool '" + name + "' (tapir, iperf3, iperf2)");
            }
        }
        List<Integer> sizes = new ArrayList<>();
        for (String length : lengths) {
            sizes.add(Math.toIntExact(Units.parseSize(length)));
        }
        BenchConfig config = new BenchConfig(selected, udp, sizes, iterations, seconds, rate, SelfLauncher.command(),
                noGso ? List.of("--no-gso") : List.of(), output.toAbsolutePath());
        List<Measurement> results = new BenchHarness(config, System.out).run();
        BenchReport report = new BenchReport(config, results);
        report.write();
        report.printSummary(System.out);
        return results.isEmpty() ? 1 : 0;
    }
}
