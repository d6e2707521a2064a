package dev.tapir.cli;

import dev.tapir.engine.iperf3.Iperf3Client;
import dev.tapir.engine.report.TestResult;
import dev.tapir.engine.stack.NetworkStack;
import dev.tapir.engine.stack.StackRunner;
import dev.tapir.engine.stack.UserspaceTransport;
import dev.tapir.engine.stack.iface.InterfaceConfig;
import dev.tapir.engine.stack.phy.Device;
import dev.tapir.engine.stack.phy.FaultInjector;
import dev.tapir.engine.stack.phy.MemoryLink;
import dev.tapir.engine.stack.phy.PcapWriter;
import dev.tapir.engine.test.TestSpec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tapir memlink}: two userspace stacks in this process joined by an in-memory Ethernet link (mirage_iperf's
 * vnetif run), a server on one and a client on the other, with optional faults and a pcap capture.
 */
@Command(name = "memlink", description = "Run a test between two tapir userspace stacks over an in-memory link.")
final class MemlinkCommand implements Callable<Integer> {
    static final String SERVER_IP = "10.0.0.1";
    static final String CLIENT_IP = "10.0.0.2";

    @Option(names = "--mtu", defaultValue = "1500", description = "Link MTU (default 1500; up to 65535).")
    int mtu;

    @Option(names = "--checksum-offload", description = "Both ends offload checksums, as on the kernel's loopback: "
            + "frames carry partial L4 checksums (pseudo-header sum only) and are trusted on receipt; a --pcap "
            + "capture shows them as such.")
    boolean checksumOffload;

    @Option(names = "--loss", defaultValue = "0", description = "Percent of frames dropped, each direction.")
    double loss;

    @Option(names = "--reorder", defaultValue = "0", description = "Percent of frames reordered, each direction.")
    double reorder;

    @Option(names = "--dup", defaultValue = "0", description = "Percent of frames duplicated, each direction.")
    double duplicate;

    @Option(names = "--corrupt", defaultValue = "0", description = "Percent of frames with a flipped byte, each direction.")
    double corrupt;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the fault injector.")
    long seed;

    @Option(names = "--pcap", paramLabel = "FILE", description = "Capture the client stack's frames to this pcap file.")
    Path pcap;

    @Mixin
    OutputOptions output;

    @Mixin
    TestOptions test;

    @Override
    public Integer call() throws Exception {
        if (mtu < 576 || mtu > 65535) {
            throw new UserError("--mtu must be between 576 and 65535, got " + mtu);
        }
        for (double p : new double[] {loss, reorder, duplicate, corrupt}) {
            if (Double.isNaN(p) || p < 0 || p > 100) {
                throw new UserError("fault percentages must be between 0 and 100");
            }
        }
        if (test.seconds == null && test.bytes == null && test.blocks == null) {
            test.seconds = 3.0;
        }
        TestSpec spec = test.toSpec(false);
        ReportPrinter printer = new ReportPrinter(output.format(), spec.protocol(), System.out);
        TestResult result = run(spec, printer);
        printer.result(result);
        TestOptions.requireVerified(result);
        return 0;
    }

    TestResult run(TestSpec spec, ReportPrinter printer) throws IOException, InterruptedException {
        MemoryLink link = new MemoryLink(mtu, MemoryLink.DEFAULT_CAPACITY, checksumOffload);
        Device serverEnd = faults(link.endA(), seed);
        Device clientEnd = faults(link.endB(), seed + 1);
        if (pcap != null) {
            clientEnd = new PcapWriter(clientEnd, pcap);
        }
        NetworkStack server = new NetworkStack(serverEnd, InterfaceConfig.parse("02:00:00:00:00:01", SERVER_IP + "/24", null));
        NetworkStack client = new NetworkStack(clientEnd, InterfaceConfig.parse("02:00:00:00:00:02", CLIENT_IP + "/24", null));
        try (StackRunner serverRunner = StackRunner.start(server);
                StackRunner clientRunner = StackRunner.start(client);
                UserspaceTransport serverTransport = new UserspaceTransport(server);
                UserspaceTransport clientTransport = new UserspaceTransport(client)) {
            return InProcessTest.run(serverTransport, new InetSocketAddress(InetAddress.getByName(SERVER_IP), 5201),
                    clientTransport, spec,
                    new Iperf3Client.Options(false, false, 30_000, test.verifySeed(), test.omitSeconds,
                            test.length == null), printer);
        }
    }

    private Device faults(Device device, long faultSeed) {
        if (loss == 0 && reorder == 0 && duplicate == 0 && corrupt == 0) {
            return device;
        }
        return new FaultInjector(device, FaultInjector.Options.none(faultSeed).withLoss(loss).withReorder(reorder)
                .withDuplicate(duplicate).withCorrupt(corrupt));
    }
}
