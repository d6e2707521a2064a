package dev.tapir.tools.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs tapir and the C iperf tools side by side on loopback, each as a server process and a client process, and
 * reads each run's figures at the receiver (iperf3 and tapir: the client's {@code -J} {@code sum_received}; iperf 2:
 * the server's {@code -y C} line).
 *
 * <p>Other work on the machine skews a run, so before each run the harness waits (up to the configured limit) for an
 * idle second, and during the run it measures the CPU that processes other than the run's own client and server
 * used: that figure goes with every measurement, so noise is visible in the results.
 */
public final class BenchHarness {
    /**
     * GC pauses count as "after warm-up" in the data phase less its first {@value} s. The data phase is taken as the
     * test's {@code -t} seconds ending {@link #WIND_DOWN_SECONDS} before the client exited (JVM start-up takes
     * seconds on a busy machine, so it is measured back from the end).
     */
    public static final double WARM_UP_SECONDS = 1.0;
    /** Time the client spends after the data phase (exchange of results, report) before it exits, roughly. */
    public static final double WIND_DOWN_SECONDS = 0.5;
    /** The machine counts as idle below this much busy CPU, percent of one core (as in baselines.md). */
    static final double IDLE_BUSY_PERCENT = 8.0;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long SERVER_START_MILLIS = 10_000;
    private static final Pattern GC_PAUSE = Pattern.compile("^\\[([0-9.]+)s\\].*Pause");

    private final BenchConfig config;
    private final PrintStream progress;

    public BenchHarness(BenchConfig config, PrintStream progress) {
        this.config = config;
        this.progress = progress;
    }

    /** Runs the whole sweep; a failed run is reported and left out, never retried. */
    public List<Measurement> run() throws IOException, InterruptedException {
        Files.createDirectories(config.outputDirectory());
        List<Measurement> results = new ArrayList<>();
        for (int iteration = 1; iteration <= config.iterations(); iteration++) {
            for (int length : config.lengths()) {
                for (Tool tool : config.tools()) {
                    try {
                        Measurement m = runOnce(tool, length, iteration);
                        results.add(m);
                        progress.printf("%-11s %s -l %-7d #%d  %10.3f Gbit/s  %12.0f pkt/s  lost %.3f%%  other CPU %s%s%n",
                                tool.label(), config.protocol(), length, iteration, m.bitsPerSecond() / 1e9,
                                m.packetsPerSecond(), m.lostPercent(),
                                m.otherCpuPercent() < 0 ? "?" : String.format("%.0f%%", m.otherCpuPercent()),
                                m.gcPauses() >= 0 ? "  gc " + m.gcPauses() + " (after warm-up " + m.gcPausesAfterWarmUp()
                                        + ")" : "");
                    } catch (RunFailedException e) {
                        progress.printf("%-11s %s -l %-7d #%d  failed: %s%n", tool.label(), config.protocol(), length,
                                iteration, e.getMessage());
                    }
                }
            }
        }
        return results;
    }

    private Measurement runOnce(Tool tool, int length, int iteration)
            throws IOException, InterruptedException, RunFailedException {
        int port = freePort();
        String tag = tool.label() + "-" + config.protocol() + "-" + length + "-" + iteration;
        Path gcServer = config.outputDirectory().resolve("gc-" + tag + "-server.log");
        Path gcClient = config.outputDirectory().resolve("gc-" + tag + "-client.log");
        if (config.idleWaitSeconds() > 0) {
            MachineLoad.awaitIdle(IDLE_BUSY_PERCENT, config.idleWaitSeconds() * 1000L);
        }
        long serverStart = System.nanoTime();
        Process server = start(serverCommand(tool, port, length, gcServer),
                config.outputDirectory().resolve(tag + "-server.out"));
        try {
            awaitListening(server, port, tool == Tool.IPERF2 && config.udp());
            Path clientOut = config.outputDirectory().resolve(tag + "-client.out");
            long clientStart = System.nanoTime();
            Process client = start(clientCommand(tool, port, length, gcClient), clientOut);
            double otherCpu = otherCpuPercent(client, server);
            if (!client.waitFor(config.seconds() + 30L, TimeUnit.SECONDS)) {
                client.destroyForcibly();
                throw new RunFailedException("client did not finish in time");
            }
            long clientEnd = System.nanoTime();
            if (client.exitValue() != 0) {
                throw new RunFailedException("client exited " + client.exitValue() + ": " + tail(clientOut));
            }
            int gc = -1;
            int gcLate = -1;
            if (tool.isTapir()) {
                double headStart = (clientStart - serverStart) / 1e9;
                double clientSeconds = (clientEnd - clientStart) / 1e9;
                gc = gcPauses(gcServer, 0, Double.MAX_VALUE) + gcPauses(gcClient, 0, Double.MAX_VALUE);
                double to = clientSeconds - WIND_DOWN_SECONDS;
                double from = to - config.seconds() + WARM_UP_SECONDS;
                gcLate = gcPauses(gcServer, headStart + from, headStart + to) + gcPauses(gcClient, from, to);
            }
            Measurement m = switch (tool) {
                case TAPIR, TAPIR_NO_GSO, TAPIR_NO_IO_URING, IPERF3 ->
                        fromIperf3Json(tool, length, iteration, clientOut);
                case IPERF2 -> fromIperf2Csv(length, iteration,
                        awaitLine(server, config.outputDirectory().resolve(tag + "-server.out")));
            };
            return new Measurement(m.tool(), m.protocol(), m.length(), m.iteration(), m.bitsPerSecond(),
                    m.packetsPerSecond(), m.lostPercent(), gc, gcLate, otherCpu);
        } finally {
            server.destroy();
            if (!server.waitFor(5, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
    }

    /**
     * The CPU other processes used while data flowed: machine busy time minus the client's and the server's, from one
     * second after the client started (its start-up and warm-up) until half a second before its end, percent of one
     * core; -1 for runs shorter than two seconds or when a process ended early.
     */
    private double otherCpuPercent(Process client, Process server) throws IOException, InterruptedException {
        if (config.seconds() < 2) {
            return -1;
        }
        Thread.sleep(1000);
        MachineLoad.Sample before = MachineLoad.machine();
        long clientBefore = MachineLoad.processTicks(client.pid());
        long serverBefore = MachineLoad.processTicks(server.pid());
        Thread.sleep(config.seconds() * 1000L - 1500);
        MachineLoad.Sample after = MachineLoad.machine();
        long clientAfter = MachineLoad.processTicks(client.pid());
        long serverAfter = MachineLoad.processTicks(server.pid());
        long elapsed = after.coreTicks() - before.coreTicks();
        if (clientBefore < 0 || serverBefore < 0 || clientAfter < 0 || serverAfter < 0 || elapsed <= 0) {
            return -1;
        }
        double own = 100.0 * (clientAfter - clientBefore + serverAfter - serverBefore) / elapsed;
        return Math.max(0, after.busyPercentSince(before) - own);
    }

    private List<String> serverCommand(Tool tool, int port, int length, Path gcLog) {
        List<String> cmd = new ArrayList<>();
        String p = Integer.toString(port);
        switch (tool) {
            case TAPIR, TAPIR_NO_GSO, TAPIR_NO_IO_URING -> {
                cmd.addAll(tapirJvm(gcLog));
                cmd.addAll(List.of("server", "-p", p, "-1"));
                if (tool == Tool.TAPIR_NO_IO_URING) {
                    cmd.add("--no-io-uring");
                }
            }
            case IPERF3 -> cmd.addAll(List.of("iperf3", "-s", "-p", p, "-1"));
            case IPERF2 -> {
                cmd.addAll(List.of("iperf", "-s", "-p", p, "-y", "C"));
                if (config.udp()) {
                    cmd.addAll(List.of("-u", "-l", Integer.toString(Math.max(length, 1470))));
                }
            }
        }
        return cmd;
    }

    private List<String> clientCommand(Tool tool, int port, int length, Path gcLog) {
        List<String> cmd = new ArrayList<>();
        String p = Integer.toString(port);
        String t = Integer.toString(config.seconds());
        String l = Integer.toString(length);
        switch (tool) {
            case TAPIR, TAPIR_NO_GSO, TAPIR_NO_IO_URING -> {
                cmd.addAll(tapirJvm(gcLog));
                cmd.addAll(List.of("client", "127.0.0.1", "-p", p, "-t", t, "-l", l, "-J"));
                cmd.addAll(config.tapirArgs());
                if (tool == Tool.TAPIR_NO_GSO) {
                    cmd.add("--no-gso");
                }
                if (tool == Tool.TAPIR_NO_IO_URING) {
                    cmd.add("--no-io-uring");
                }
            }
            case IPERF3 -> cmd.addAll(List.of("iperf3", "-c", "127.0.0.1", "-p", p, "-t", t, "-l", l, "-J"));
            case IPERF2 -> cmd.addAll(List.of("iperf", "-c", "127.0.0.1", "-p", p, "-t", t, "-l", l));
        }
        if (config.udp()) {
            cmd.add("-u");
            cmd.add("-b");
            // iperf 2 has no "unlimited" UDP rate: ask for more than loopback can carry.
            cmd.add(tool == Tool.IPERF2 && config.udpRate().equals("0") ? "1000G" : config.udpRate());
        }
        return cmd;
    }

    private List<String> tapirJvm(Path gcLog) {
        List<String> cmd = new ArrayList<>(config.tapirCommand());
        // The JVM flag goes before -jar: insert it right after the java executable.
        cmd.add(1, "-Xlog:gc:file=" + gcLog);
        return cmd;
    }

    private static Process start(List<String> command, Path output) throws IOException {
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
    }

    /** Waits until the server's port is bound, reading /proc so that no probe connection reaches the server. */
    private static void awaitListening(Process server, int port, boolean udp)
            throws IOException, InterruptedException, RunFailedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SERVER_START_MILLIS);
        String hexPort = String.format(":%04X ", port);
        List<Path> tables = udp ? List.of(Path.of("/proc/net/udp"), Path.of("/proc/net/udp6"))
                : List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6"));
        while (System.nanoTime() < deadline) {
            if (!server.isAlive()) {
                throw new RunFailedException("server exited " + server.exitValue() + " before listening");
            }
            for (Path table : tables) {
                for (String line : Files.readAllLines(table)) {
                    String[] f = line.trim().split("\\s+");
                    // local_address is field 1; state 0A = LISTEN for TCP, 07 = unconnected for UDP.
                    if (f.length > 3 && (f[1] + " ").endsWith(hexPort) && f[3].equals(udp ? "07" : "0A")) {
                        return;
                    }
                }
            }
            Thread.sleep(20);
        }
        throw new RunFailedException("server did not listen on port " + port + " within " + SERVER_START_MILLIS
                + " ms");
    }

    /** Waits for the iperf 2 server's report line (CSV) and returns it. */
    private static String awaitLine(Process server, Path output) throws IOException, InterruptedException,
            RunFailedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8);
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (lines.get(i).split(",").length >= 9) {
                    return lines.get(i);
                }
            }
            if (!server.isAlive()) {
                break;
            }
            Thread.sleep(50);
        }
        throw new RunFailedException("iperf 2 server printed no report: " + tail(output));
    }

    private Measurement fromIperf3Json(Tool tool, int length, int iteration, Path output)
            throws IOException, RunFailedException {
        JsonNode root;
        try {
            root = JSON.readTree(output.toFile());
        } catch (IOException e) {
            throw new RunFailedException("output is not JSON: " + tail(output));
        }
        JsonNode received = root.path("end").path("sum_received");
        if (received.isMissingNode()) {
            throw new RunFailedException("no end.sum_received in the JSON: " + root.path("error").asText(""));
        }
        double seconds = received.path("seconds").asDouble();
        double bps = received.path("bits_per_second").asDouble();
        if (!config.udp()) {
            return new Measurement(tool, "tcp", length, iteration, bps, 0, 0, -1, -1, -1);
        }
        long packets = received.path("packets").asLong();
        long lost = received.path("lost_packets").asLong();
        double pps = seconds > 0 ? (packets - lost) / seconds : 0;
        return new Measurement(tool, "udp", length, iteration, bps, pps, received.path("lost_percent").asDouble(), -1,
                -1, -1);
    }

    /** Reads iperf 2's {@code -y C} server line: bytes, bits/s and, for UDP, jitter, lost, total, lost %. */
    private Measurement fromIperf2Csv(int length, int iteration, String line) throws RunFailedException {
        String[] f = line.split(",");
        try {
            double bps = Double.parseDouble(f[8]);
            if (!config.udp()) {
                return new Measurement(Tool.IPERF2, "tcp", length, iteration, bps, 0, 0, -1, -1, -1);
            }
            String[] interval = f[6].split("-");
            double seconds = Double.parseDouble(interval[1]) - Double.parseDouble(interval[0]);
            long lost = Long.parseLong(f[10]);
            long total = Long.parseLong(f[11]);
            double pps = seconds > 0 ? (total - lost) / seconds : 0;
            return new Measurement(Tool.IPERF2, "udp", length, iteration, bps, pps, Double.parseDouble(f[12]), -1, -1,
                    -1);
        } catch (RuntimeException e) {
            throw new RunFailedException("unreadable iperf 2 line: " + line);
        }
    }

    /** GC pauses in a {@code -Xlog:gc} file that began between {@code fromSeconds} and {@code toSeconds} of uptime. */
    static int gcPauses(Path gcLog, double fromSeconds, double toSeconds) throws IOException {
        if (!Files.exists(gcLog)) {
            return 0;
        }
        int pauses = 0;
        for (String line : Files.readAllLines(gcLog)) {
            Matcher m = GC_PAUSE.matcher(line);
            if (m.find() && Double.parseDouble(m.group(1)) > fromSeconds
                    && Double.parseDouble(m.group(1)) < toSeconds) {
                pauses++;
            }
        }
        return pauses;
    }

    /** A port free for both TCP and UDP on loopback right now. */
    private static int freePort() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            try (ServerSocket tcp = new ServerSocket()) {
                tcp.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                int port = tcp.getLocalPort();
                try (DatagramSocket udp = new DatagramSocket(port, InetAddress.getLoopbackAddress())) {
                    return port;
                } catch (IOException busyForUdp) {
                    // try another
                }
            }
        }
        throw new IOException("no port free for both TCP and UDP on loopback");
    }

    private static String tail(Path output) throws IOException {
        List<String> lines = Files.exists(output) ? Files.readAllLines(output) : List.of();
        return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
    }

    /** A run that produced no figure; the sweep goes on without it. */
    static final class RunFailedException extends Exception {
        private static final long serialVersionUID = 1L;

        RunFailedException(String message) {
            super(message);
        }
    }
}
