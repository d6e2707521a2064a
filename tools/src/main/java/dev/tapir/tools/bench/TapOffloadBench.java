package dev.tapir.tools.bench;

import dev.tapir.engine.iperf3.Iperf3Client;
import dev.tapir.engine.report.TestResult;
import dev.tapir.engine.report.Transfer;
import dev.tapir.engine.stack.NetworkStack;
import dev.tapir.engine.stack.StackRunner;
import dev.tapir.engine.stack.UserspaceTransport;
import dev.tapir.engine.stack.iface.InterfaceConfig;
import dev.tapir.engine.stack.phy.TapDevice;
import dev.tapir.engine.stack.wire.Ipv4Address;
import dev.tapir.engine.test.Protocol;
import dev.tapir.engine.test.TestSpec;
import dev.tapir.engine.transport.DatagramOptions;
import dev.tapir.engine.transport.StreamConnection;
import dev.tapir.engine.transport.StreamListener;
import dev.tapir.engine.transport.StreamOptions;
import dev.tapir.nativeio.Namespaces;
import dev.tapir.tools.Ipv4Prefix;
import dev.tapir.tools.TapLab;
import dev.tapir.tools.TapSetup;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Side-by-side throughput of the userspace stack on taps, with and without TCP offloads, in one run:
 * tapir to the kernel's TCP and back over one tap (the peer is a real {@code iperf3 -s} in the namespace, tapir runs
 * its iperf3 client on the stack), and tapir to tapir over two taps on a bridge. Everything lives in a namespace this
 * tool creates (the tap lab plus one tap carrying the kernel's address) and deletes by name at the end. Prints Gbit/s,
 * the JVM's GC cycles during each run, and the ratio to the project's target for that case.
 *
 * <p>Usage (root): {@code TapOffloadBench [seconds per run, default 3] [rounds, default 1] [case filter]}; the filter
 * keeps the cases whose name contains it (e.g. {@code "kernel -> tapir"}).
 */
public final class TapOffloadBench {
    private static final String IPERF3 = "/usr/bin/iperf3";
    private static final String KERNEL_TAP = "tapk0";
    private static final Ipv4Prefix KERNEL_ADDRESS = Ipv4Prefix.parse("10.78.0.1/24");
    private static final int TAPIR_ON_KERNEL_TAP = 0x0a4e0002; // 10.78.0.2
    private static final int SERVER_ADDRESS = 0xc0a87a0a; // 192.168.122.10, TapLab's server address
    private static final int CLIENT_ADDRESS = 0xc0a87a14; // 192.168.122.20
    private static final int IPERF3_PORT = 5201;
    private static final int STREAM_PORT = 5301;
    private static final int WRITE_LENGTH = 128 * 1024;
    private static final int IDLE_WAIT_SECONDS = 20;
    private static final double IDLE_FRACTION = 0.8;
    /** USER_HZ: /proc/stat counts in these. */
    private static final int TICKS_PER_SECOND = 100;
    private static final int CPUS = Runtime.getRuntime().availableProcessors();

    /** One measured case: what it is, the figure to reach, what it measured, and other processes' CPU meanwhile. */
    record Row(String name, double targetGbps, String target, Measured measured, double foreignCores) {
    }

    /** CPU time of this whole process (all its threads), nanoseconds. */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static String frames(TapDevice sent, TapDevice received) {
        String tx = sent == null ? "-" : sent.transmittedFrames() + "/" + sent.transmittedSuperFrames();
        String rx = received == null ? "-" : received.receivedFrames() + "/" + received.receivedSuperFrames()
                + " (checksum trusted " + received.receivedChecksumTrusted() + ")";
        return tx + " " + rx;
    }

    private final String namespace;
    private final long seconds;
    private final String filter;

    private TapOffloadBench(String namespace, long seconds, String filter) {
        this.namespace = namespace;
        this.seconds = seconds;
        this.filter = filter;
    }

    public static void main(String[] args) throws Exception {
        long seconds = args.length > 0 ? Long.parseLong(args[0]) : 3;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        String filter = args.length > 2 ? args[2] : "";
        String ns = "tapir-b-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24) | (1 << 24));
        TapLab.create(ns);
        List<Row> rows = new ArrayList<>();
        String defaultCongestion;
        try {
            TapSetup.create(new TapSetup.Spec(KERNEL_TAP, null, KERNEL_ADDRESS, 0, null, true, ns)).close();
            TapOffloadBench bench = new TapOffloadBench(ns, seconds, filter);
            defaultCongestion = Namespaces.callIn(ns, () -> Files.readString(
                    Path.of("/proc/sys/net/ipv4/tcp_congestion_control")).strip());
            for (int round = 0; round < rounds; round++) {
                bench.run(rows, "tapir -> kernel, no offload", 1.5 * 2.5, "1.5 x smoltcp 2.5",
                        () -> bench.tapirAndKernel(false, false, null));
                bench.run(rows, "tapir -> kernel, TSO/CSUM", 10, ">= 10",
                        () -> bench.tapirAndKernel(true, false, null));
                bench.run(rows, "kernel -> tapir, no offload", 1.5 * 5.8, "1.5 x smoltcp 5.8",
                        () -> bench.tapirAndKernel(false, true, null));
                // The kernel's sender paces by its congestion control: the same case with Linux's usual default.
                bench.run(rows, "kernel -> tapir, no offload, cubic", 1.5 * 5.8, "1.5 x smoltcp 5.8",
                        () -> bench.tapirAndKernel(false, true, "cubic"));
                bench.run(rows, "kernel -> tapir, TSO/CSUM", 10, ">= 10", () -> bench.tapirAndKernel(true, true, null));
                bench.run(rows, "kernel -> tapir, TSO/CSUM, cubic", 10, ">= 10",
                        () -> bench.tapirAndKernel(true, true, "cubic"));
                bench.run(rows, "tapir -> tapir bridge MTU 1500", 5.6, "0.7 x C pump 8.0",
                        () -> bench.tapirToTapir(false));
                bench.run(rows, "tapir -> tapir bridge TSO/CSUM", 20, "kernel veth ~20",
                        () -> bench.tapirToTapir(true));
            }
        } finally {
            TapSetup.delete(KERNEL_TAP, ns);
            TapLab.delete(ns);
        }
        System.out.printf(Locale.ROOT, "%-32s %7s %4s %-18s %6s %5s %7s  %s%n", "case", "Gbit/s", "GC", "target",
                "ratio", "cores", "foreign", "tapir tap frames: tx/super rx/super");
        for (Row r : rows) {
            Measured m = r.measured();
            System.out.printf(Locale.ROOT, "%-32s %7.2f %4d %-18s %6.2f %5.2f %7.2f  %s%n", r.name(), m.gbps(),
                    m.gcCycles(), r.target(), m.gbps() / r.targetGbps(), m.cpuCores(), r.foreignCores(), m.frames());
        }
        System.out.println("cores = CPU of this JVM (tapir's stacks and test threads) / wall time of the run; foreign ="
                + " cores other processes (the kernel peer's iperf3 included) used meanwhile, of " + CPUS);
        System.out.println("the kernel's TCP congestion control where none is named: " + defaultCongestion);
    }

    /**
     * Runs a case unless the filter leaves it out: first waits (up to {@link #IDLE_WAIT_SECONDS}) for a second in
     * which the machine is at least {@link #IDLE_FRACTION} idle, since other work on 2 cores halves any figure, then
     * records how many cores others used during the run (machine busy time less this JVM's).
     */
    private void run(List<Row> rows, String name, double targetGbps, String target, Case measure) throws Exception {
        if (!name.contains(filter)) {
            return;
        }
        long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(IDLE_WAIT_SECONDS);
        while (System.nanoTime() < waitUntil) {
            long[] before = machineTicks();
            Thread.sleep(1_000);
            long[] after = machineTicks();
            if ((double) (after[1] - before[1]) / (after[0] - before[0]) >= IDLE_FRACTION) {
                break;
            }
        }
        long[] before = machineTicks();
        long cpuBefore = processCpuNanos();
        Measured measured = measure.run();
        long[] after = machineTicks();
        double seconds = (after[0] - before[0]) / (double) TICKS_PER_SECOND / CPUS;
        double busyCores = (after[0] - before[0] - (after[1] - before[1])) / (double) TICKS_PER_SECOND / seconds;
        double ours = (processCpuNanos() - cpuBefore) / 1e9 / seconds;
        rows.add(new Row(name, targetGbps, target, measured, Math.max(0, busyCores - ours)));
    }

    /** Total and idle (idle + iowait) jiffies of all CPUs from /proc/stat. */
    private static long[] machineTicks() throws IOException {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long total = 0;
        for (int i = 1; i < f.length; i++) {
            total += Long.parseLong(f[i]);
        }
        return new long[] {total, Long.parseLong(f[4]) + Long.parseLong(f[5])};
    }

    /** How to measure one case. */
    private interface Case {
        Measured run() throws Exception;
    }

    /** What one run measured; the frame counts are tapir's tap writes and reads, total and super-frames. */
    record Measured(double gbps, long gcCycles, double cpuCores, String frames) {
    }

    private static TapDevice.Options options(boolean offloads) {
        return offloads ? TapDevice.Options.tcpOffloads() : TapDevice.Options.virtioNet(0);
    }

    private static long gcCycles() {
        long n = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, gc.getCollectionCount());
        }
        return n;
    }

    private static InetSocketAddress endpoint(int address, int port) {
        return new InetSocketAddress(Ipv4Address.toInetAddress(address), port);
    }

    /**
     * tapir's iperf3 client on the kernel tap against {@code iperf3 -s -1} in the namespace; the receiver's figure.
     * {@code congestion} (iperf3's -C) names the algorithm of both ends, null leaves the kernel's default.
     */
    private Measured tapirAndKernel(boolean offloads, boolean reverse, String congestion) throws Exception {
        TapDevice tap = Namespaces.callIn(namespace, () -> TapDevice.open(KERNEL_TAP, options(offloads)));
        NetworkStack stack = new NetworkStack(tap,
                new InterfaceConfig(0x02_4e_00_00_00_02L, TAPIR_ON_KERNEL_TAP, 24, Ipv4Address.ANY));
        Process server = new ProcessBuilder("ip", "netns", "exec", namespace, IPERF3, "-s", "-1", "-p",
                String.valueOf(IPERF3_PORT)).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        try (StackRunner runner = StackRunner.start(stack)) {
            awaitListening(IPERF3_PORT);
            TestSpec spec = new TestSpec(Protocol.TCP, WRITE_LENGTH, 0, 0, TimeUnit.SECONDS.toNanos(seconds), 0, 0, 1,
                    reverse, false, new StreamOptions(0, 0, false, congestion), DatagramOptions.DEFAULT, false);
            long gcBefore = gcCycles();
            long cpuBefore = processCpuNanos();
            long wallBefore = System.nanoTime();
            TestResult result = new Iperf3Client(new UserspaceTransport(stack), Iperf3Client.Options.DEFAULT)
                    .run(endpoint(KERNEL_ADDRESS.address(), IPERF3_PORT), spec, null).result();
            long gc = gcCycles() - gcBefore;
            double cores = (double) (processCpuNanos() - cpuBefore) / (System.nanoTime() - wallBefore);
            if (!server.waitFor(10, TimeUnit.SECONDS)) {
                throw new IOException("iperf3 -s -1 did not exit after the test");
            }
            Transfer received = result.sumReceived();
            return new Measured(received.bytes() * 8 / received.seconds() / 1e9, gc, cores,
                    frames(tap, tap));
        } finally {
            server.destroy();
            server.waitFor(5, TimeUnit.SECONDS);
        }
    }

    /** Waits until a socket in the namespace listens on TCP {@code port} ({@code /proc/thread-self/net/tcp}); 5 s. */
    private void awaitListening(int port) throws Exception {
        String local = String.format(Locale.ROOT, ":%04X", port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            // A probe connection would use up iperf3 -s -1's one test; the socket table does not.
            String table = Namespaces.callIn(namespace, () -> Files.readString(Path.of("/proc/thread-self/net/tcp"))
                    + Files.readString(Path.of("/proc/thread-self/net/tcp6")));
            for (String line : table.split("\n")) {
                String[] fields = line.trim().split("\\s+");
                if (fields.length > 3 && fields[1].endsWith(local) && fields[3].equals("0A")) {
                    return;
                }
            }
            Thread.sleep(20);
        }
        throw new IOException("iperf3 did not listen on port " + port + " within 5 s");
    }

    /** Two stacks on the lab's taps, one stack thread each; one TCP stream for {@code seconds}, receiver's figure. */
    private Measured tapirToTapir(boolean offloads) throws Exception {
        TapDevice[] taps = Namespaces.callIn(namespace, () -> new TapDevice[] {
            TapDevice.open(TapLab.SERVER_TAP, options(offloads)),
            TapDevice.open(TapLab.CLIENT_TAP, options(offloads))});
        NetworkStack server = new NetworkStack(taps[0],
                new InterfaceConfig(0x02_7a_00_00_00_0aL, SERVER_ADDRESS, 24, Ipv4Address.ANY));
        NetworkStack client = new NetworkStack(taps[1],
                new InterfaceConfig(0x02_7a_00_00_00_14L, CLIENT_ADDRESS, 24, Ipv4Address.ANY));
        try (StackRunner serverRunner = StackRunner.start(server);
                StackRunner clientRunner = StackRunner.start(client);
                Arena arena = Arena.ofShared()) {
            StreamListener listener = new UserspaceTransport(server).listen(endpoint(SERVER_ADDRESS, STREAM_PORT),
                    StreamOptions.DEFAULT);
            StreamConnection sender = new UserspaceTransport(client).connect(endpoint(SERVER_ADDRESS, STREAM_PORT),
                    endpoint(CLIENT_ADDRESS, 0), StreamOptions.DEFAULT, 5_000);
            StreamConnection receiver = listener.accept(5_000);
            if (receiver == null) {
                throw new IOException("no connection accepted");
            }
            MemorySegment out = arena.allocate(WRITE_LENGTH);
            long stopAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            Thread writer = Thread.ofPlatform().name("bench-writer").start(() -> {
                try {
                    while (System.nanoTime() < stopAt) {
                        sender.write(out, 0, WRITE_LENGTH, 100);
                    }
                    sender.shutdownOutput();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            MemorySegment in = arena.allocate(WRITE_LENGTH);
            long received = 0;
            long gcBefore = gcCycles();
            long cpuBefore = processCpuNanos();
            long start = System.nanoTime();
            long end = start;
            while (true) {
                int n = receiver.read(in, 0, WRITE_LENGTH, 1_000);
                if (n == StreamConnection.EOF || n == 0 && System.nanoTime() - stopAt > TimeUnit.SECONDS.toNanos(2)) {
                    break;
                }
                received += n;
                end = System.nanoTime();
            }
            long gc = gcCycles() - gcBefore;
            double cores = (double) (processCpuNanos() - cpuBefore) / (System.nanoTime() - start);
            writer.join(5_000);
            receiver.close();
            sender.close();
            listener.close();
            return new Measured(received * 8.0 / (end - start), gc, cores, frames(taps[1], taps[0]));
        } finally {
            server.close();
            client.close();
        }
    }
}
