package dev.tapir.cli;

import dev.tapir.engine.iperf2.Iperf2Server;
import dev.tapir.engine.iperf3.Iperf3Server;
import dev.tapir.engine.test.Protocol;
import dev.tapir.engine.transport.DatagramOptions;
import dev.tapir.engine.transport.StreamOptions;
import dev.tapir.engine.transport.Transport;
import dev.tapir.nativeio.Errno;
import dev.tapir.nativeio.SyscallException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tapir server}: serves tapir and iperf3 clients (or iperf 2 clients with --iperf2) one test at a time. */
@Command(name = "server", description = "Serve tests: tapir and iperf3 clients, or iperf 2 clients with --iperf2.")
final class ServerCommand implements Callable<Integer> {
    @Mixin
    EndpointOptions endpoint;

    @Option(names = {"-B", "--bind"}, paramLabel = "ADDR", description = "Local address to listen on.")
    String bind;

    @Option(names = {"-1", "--one-off"}, description = "Serve one test, then exit.")
    boolean oneOff;

    @Option(names = {"-u", "--udp"}, description = "With --iperf2: serve UDP (iperf 2 servers serve one protocol).")
    boolean udp;

    @Option(names = {"-i", "--interval"}, paramLabel = "SECS", defaultValue = "1",
            description = "Seconds between interval reports, 0 for none (default 1).")
    double interval;

    @Option(names = "-6", description = "Listen on IPv6 (the wildcard address ::).")
    boolean ipv6;

    @Override
    public Integer call() throws Exception {
        if (Double.isNaN(interval) || interval < 0 || interval > 3_600) {
            throw new UserError("-i must be between 0 and 3600 seconds, got " + interval);
        }
        boolean iperf2 = endpoint.iperf2;
        if (udp && !iperf2) {
            throw new UserError("-u applies to --iperf2 servers only: an iperf3-protocol server serves TCP and UDP");
        }
        long intervalNanos = (long) (interval * 1e9);
        endpoint.stack.check(ipv6);
        ReportPrinter.Format format = endpoint.format();
        // Like iperf3 -s: without -B the kernel path listens on :: for IPv4 and IPv6 clients alike (iperf 2 -s and
        // the userspace stack serve IPv4 only).
        boolean dualStack = bind == null && !iperf2 && !endpoint.stack.userspace();
        InetSocketAddress local = Endpoints.bind(bind, endpoint.port(), ipv6 || dualStack);
        Protocol protocol = udp ? Protocol.UDP : Protocol.TCP;
        ReportPrinter printer = new ReportPrinter(format, protocol, System.out);
        try (StackOptions.Opened opened = endpoint.stack.open(System.err)) {
            Transport transport = opened.transport();
            if (iperf2) {
                try (Iperf2Server server = new Iperf2Server(transport, local, protocol,
                        new Iperf2Server.Options(intervalNanos, StreamOptions.DEFAULT, DatagramOptions.DEFAULT,
                                printer, printer::result))) {
                    announce(server.localAddress(), "iperf 2 " + protocol, format);
                    server.serve(oneOff);
                }
            } else {
                Iperf3Server.Options options = new Iperf3Server.Options(intervalNanos, 10_000, 120_000);
                try (Iperf3Server server = openIperf3(transport, local, dualStack && !ipv6, options, printer)) {
                    announce(server.localAddress(), "iperf3", format);
                    server.serve(oneOff);
                }
            }
        }
        return 0;
    }

    /** The iperf3 server on {@code local}; on :: only by default, falling back to 0.0.0.0 where IPv6 is off. */
    private static Iperf3Server openIperf3(Transport transport, InetSocketAddress local, boolean fallBackToIpv4,
            Iperf3Server.Options options, ReportPrinter printer) throws IOException {
        try {
            return new Iperf3Server(transport, local, options, printer, System.err);
        } catch (SyscallException e) {
            if (!fallBackToIpv4 || e.errno() != Errno.EAFNOSUPPORT && e.errno() != Errno.EADDRNOTAVAIL) {
                throw e;
            }
            return new Iperf3Server(transport, new InetSocketAddress("0.0.0.0", local.getPort()), options, printer,
                    System.err);
        }
    }

    /** Says the server listens: as iperf3 does in text mode, and on stderr otherwise so stdout stays JSON or CSV. */
    private static void announce(InetSocketAddress local, String protocol, ReportPrinter.Format format) {
        String line = "tapir server listening on " + local.getPort() + " (" + protocol + " protocol)";
        if (format == ReportPrinter.Format.HUMAN) {
            System.out.println("-----------------------------------------------------------");
            System.out.println(line);
            System.out.println("-----------------------------------------------------------");
            System.out.flush();
        } else {
            System.err.println("tapir: " + line);
            System.err.flush();
        }
    }
}
