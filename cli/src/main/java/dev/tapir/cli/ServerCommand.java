package dev.tapir.cli;

import dev.tapir.engine.iperf2.Iperf2Client;
import dev.tapir.engine.iperf2.Iperf2Server;
import dev.tapir.engine.iperf3.Iperf3Server;
import dev.tapir.engine.test.Protocol;
import dev.tapir.engine.transport.DatagramOptions;
import dev.tapir.engine.transport.StreamOptions;
import dev.tapir.engine.transport.Transport;
import dev.tapir.engine.transport.kernel.KernelTransport;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tapir server}: serves tapir and iperf3 clients (or iperf 2 clients with --iperf2) one test at a time. */
@Command(name = "server", description = "Serve tests: tapir and iperf3 clients, or iperf 2 clients with --iperf2.")
final class ServerCommand implements Callable<Integer> {
    @Option(names = {"-p", "--port"}, description = "Port to listen on (default 5201; 5001 with --iperf2).")
    Integer port;

    @Option(names = {"-B", "--bind"}, paramLabel = "ADDR", description = "Local address to listen on.")
    String bind;

    @Option(names = {"-1", "--one-off"}, description = "Serve one test, then exit.")
    boolean oneOff;

    @Option(names = "--iperf2", description = "Speak iperf 2's protocol instead of iperf3's.")
    boolean iperf2;

    @Option(names = {"-u", "--udp"}, description = "With --iperf2: serve UDP (iperf 2 servers serve one protocol).")
    boolean udp;

    @Option(names = {"-i", "--interval"}, paramLabel = "SECS", defaultValue = "1",
            description = "Seconds between interval reports, 0 for none (default 1).")
    double interval;

    @Option(names = {"-J", "--json"}, description = "Print each result as iperf3 -J JSON.")
    boolean json;

    @Option(names = "--csv", description = "Print each result as iperf 2 -y C CSV lines.")
    boolean csv;

    @Option(names = "-6", description = "Listen on IPv6 (the wildcard address ::).")
    boolean ipv6;

    @Override
    public Integer call() throws Exception {
        if (Double.isNaN(interval) || interval < 0 || interval > 3_600) {
            throw new UserError("-i must be between 0 and 3600 seconds, got " + interval);
        }
        if (udp && !iperf2) {
            throw new UserError("-u applies to --iperf2 servers only: an iperf3-protocol server serves TCP and UDP");
        }
        long intervalNanos = (long) (interval * 1e9);
        ReportPrinter.Format format = ReportPrinter.format(json, csv);
        InetSocketAddress local = Endpoints.bind(bind, port != null ? port : iperf2 ? Iperf2Client.DEFAULT_PORT : 5201,
                ipv6);
        Protocol protocol = udp ? Protocol.UDP : Protocol.TCP;
        ReportPrinter printer = new ReportPrinter(format, protocol, System.out);
        try (Transport transport = new KernelTransport()) {
            if (iperf2) {
                try (Iperf2Server server = new Iperf2Server(transport, local, protocol,
                        new Iperf2Server.Options(intervalNanos, StreamOptions.DEFAULT, DatagramOptions.DEFAULT,
                                printer, printer::result))) {
                    announce(server.localAddress(), "iperf 2 " + protocol, format);
                    server.serve(oneOff);
                }
            } else {
                try (Iperf3Server server = new Iperf3Server(transport, local,
                        new Iperf3Server.Options(intervalNanos, 10_000, 120_000), printer, System.err)) {
                    announce(server.localAddress(), "iperf3", format);
                    server.serve(oneOff);
                }
            }
        }
        return 0;
    }

    private static void announce(InetSocketAddress local, String protocol, ReportPrinter.Format format) {
        if (format == ReportPrinter.Format.HUMAN) {
            System.out.println("-----------------------------------------------------------");
            System.out.println("tapir server listening on " + local.getPort() + " (" + protocol + " protocol)");
            System.out.println("-----------------------------------------------------------");
            System.out.flush();
        }
    }
}
