package dev.tapir.cli;

import dev.tapir.engine.iperf3.Iperf3Client;
import dev.tapir.engine.report.TestResult;
import dev.tapir.engine.transport.kernel.KernelTransport;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tapir quickstart}: tapir's main job with nothing to set up: a server and a client in this process, a short
 * TCP and a short UDP test over loopback on kernel sockets, then a TCP test between two userspace stacks.
 */
@Command(name = "quickstart", description = "Short TCP and UDP tests over loopback, then TCP over tapir's own stack "
        + "on an in-memory link; no root needed.")
final class QuickstartCommand implements Callable<Integer> {
    @Option(names = {"-t", "--time"}, defaultValue = "2", description = "Seconds per test (default 2).")
    double seconds;

    @Override
    public Integer call() throws Exception {
        if (Double.isNaN(seconds) || seconds <= 0 || seconds > 60) {
            throw new UserError("-t must be between 0 and 60 seconds, got " + seconds);
        }
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        String t = Double.toString(seconds);

        InProcessTest.banner(System.out, "TCP over loopback, kernel sockets (tapir client -> tapir server, iperf3 protocol)");
        runKernel(loopback, new String[] {"-t", t});

        InProcessTest.banner(System.out, "UDP over loopback at 100 Mbit/s, kernel sockets with GSO/GRO");
        runKernel(loopback, new String[] {"-u", "-b", "100M", "-t", t});

        InProcessTest.banner(System.out, "TCP between two tapir userspace stacks over an in-memory link (MTU 1500)");
        MemlinkCommand memlink = new MemlinkCommand();
        new CommandLine(memlink).parseArgs("-t", t);
        ReportPrinter printer = new ReportPrinter(ReportPrinter.Format.HUMAN, dev.tapir.engine.test.Protocol.TCP,
                System.out);
        printer.result(memlink.run(memlink.test.toSpec(false), printer));
        return 0;
    }

    private static void runKernel(InetSocketAddress loopback, String[] flags) throws Exception {
        TestOptions options = new TestOptions();
        new CommandLine(new Holder(options)).parseArgs(flags);
        var spec = options.toSpec(false);
        ReportPrinter printer = new ReportPrinter(ReportPrinter.Format.HUMAN, spec.protocol(), System.out);
        try (KernelTransport server = new KernelTransport(); KernelTransport client = new KernelTransport()) {
            TestResult result = InProcessTest.run(server, loopback, client, spec, Iperf3Client.Options.DEFAULT,
                    printer);
            printer.result(result);
        }
    }

    /** Lets picocli fill a {@link TestOptions} from a fixed flag list. */
    @Command
    static final class Holder {
        @CommandLine.Mixin
        final TestOptions options;

        Holder(TestOptions options) {
            this.options = options;
        }
    }
}
