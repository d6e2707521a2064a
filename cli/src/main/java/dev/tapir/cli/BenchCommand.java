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
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tapir bench}: tapir against iperf3 and iperf 2 on loopback, swept over buffer lengths. */
@Command(name = "bench", description = "Run tapir, iperf3 and iperf 2 side by side on loopback over a sweep of "
        + "buffer lengths; print medians and tapir's ratios, write results.csv/.json and plot.svg.")
final class BenchCommand implements Callable<Integer> {
    /** --full, TCP: the lengths the performance targets name, iperf 2's small writes up to iperf3's default. */
    static final List<Integer> FULL_TCP_LENGTHS = List.of(64, 128, 256, 512, 1024, 2048, 131072);
    /** --full, UDP: the smallest iperf datagram and the Ethernet-sized one. */
    static final List<Integer> FULL_UDP_LENGTHS = List.of(64, 1470);

    @Option(names = "--tools", split = ",", defaultValue = "tapir,iperf3,iperf2",
            description = "Tools to run (tapir, tapir-nogso, tapir-nouring, iperf3, iperf2). Default: "
                    + "${DEFAULT-VALUE}.")
    List<String> tools;

    @Option(names = "--full", description = "The whole comparison in one run: TCP at -l "
            + "64,128,256,512,1024,2048,131072 (tapir, tapir --no-io-uring, iperf3, iperf2), then UDP at -l 64,1470 "
            + "(tapir with GSO/GRO, tapir --no-gso, iperf3, iperf2); --tools, -u, -l and --no-gso are ignored.")
    boolean full;

    @Option(names = "--idle-wait", defaultValue = "5", description = "Seconds to wait before each run for an idle "
            + "machine (below 8%% of one core busy for 1 s); 0 = do not wait. Default: ${DEFAULT-VALUE}.")
    int idleWait;

    @Option(names = {"-u", "--udp"}, description = "UDP (packets/s) instead of TCP (bits/s).")
    boolean udp;

    @Option(names = {"-l", "--lengths"}, split = ",", defaultValue = "64,512,1460,2048,131072",
            description = "Buffer lengths to sweep, bytes. Default: ${DEFAULT-VALUE}.")
    List<String> lengths;

    @Option(names = "--iterations", defaultValue = "3",
            description = "Runs per tool and length. Default: ${DEFAULT-VALUE}.")
    int iterations;

    @Option(names = {"-t", "--time"}, defaultValue = "3", description = "Seconds per run. Default: ${DEFAULT-VALUE}.")
    int seconds;

    @Option(names = {"-b", "--bitrate"}, defaultValue = "0",
            description = "UDP target rate, iperf3 notation (0 = unlimited). Default: ${DEFAULT-VALUE}.")
    String rate;

    @Option(names = "--no-gso", description = "Run tapir's UDP without GSO/GRO batching (tapir becomes tapir-nogso).")
    boolean noGso;

    @Option(names = {"-o", "--output"}, defaultValue = "bench-results",
            description = "Directory for results and process logs. Default: ${DEFAULT-VALUE}.")
    Path output;

    @Override
    public Integer call() throws Exception {
        if (full) {
            int runs = sweep(List.of(Tool.TAPIR, Tool.TAPIR_NO_IO_URING, Tool.IPERF3, Tool.IPERF2), false,
                    FULL_TCP_LENGTHS, output.resolve("tcp"));
            runs += sweep(List.of(Tool.TAPIR, Tool.TAPIR_NO_GSO, Tool.IPERF3, Tool.IPERF2), true, FULL_UDP_LENGTHS,
                    output.resolve("udp"));
            return runs == 0 ? 1 : 0;
        }
        List<Tool> selected = new ArrayList<>();
        for (String name : tools) {
            Tool tool = Tool.byLabel(name);
            if (tool == null) {
                throw new UserError("unknown tool '" + name
                        + "' (tapir, tapir-nogso, tapir-nouring, iperf3, iperf2)");
            }
            selected.add(noGso && tool == Tool.TAPIR ? Tool.TAPIR_NO_GSO : tool);
        }
        List<Integer> sizes = new ArrayList<>();
        for (String length : lengths) {
            sizes.add(Math.toIntExact(Units.parseSize(length)));
        }
        return sweep(selected, udp, sizes, output) == 0 ? 1 : 0;
    }

    /** Runs one sweep, writes its files and prints its summary; returns how many runs produced a figure. */
    private int sweep(List<Tool> selected, boolean datagrams, List<Integer> sizes, Path directory) throws Exception {
        BenchConfig config = new BenchConfig(selected, datagrams, sizes, iterations, seconds, rate,
                SelfLauncher.command(), List.of(), directory.toAbsolutePath(), idleWait);
        List<Measurement> results = new BenchHarness(config, System.out).run();
        BenchReport report = new BenchReport(config, results);
        report.write();
        report.printSummary(System.out);
        return results.size();
    }
}
