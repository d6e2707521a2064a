package dev.tapir.cli;

import dev.tapir.engine.iperf2.Iperf2Client;
import dev.tapir.engine.iperf3.Iperf3Client;
import dev.tapir.engine.report.TestResult;
import dev.tapir.engine.test.StopSignal;
import dev.tapir.engine.test.TestSpec;
import dev.tapir.engine.transport.Transport;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tapir client HOST}: runs one test against a tapir, iperf3 or (with --iperf2) iperf 2 server. */
@Command(name = "client", description = "Run a test against a server (tapir, iperf3, or iperf 2 with --iperf2).")
final class ClientCommand implements Callable<Integer> {
    @Parameters(paramLabel = "HOST", description = "Server host name or address.")
    String host;

    @Mixin
    EndpointOptions endpoint;

    @Option(names = "--get-server-output", description = "Print the server's report too (iperf3 protocol).")
    boolean serverOutput;

    @Option(names = "-4", description = "IPv4 only.")
    boolean ipv4;

    @Option(names = "-6", description = "IPv6 only.")
    boolean ipv6;

    @Mixin
    TestOptions test;

    @Override
    public Integer call() throws Exception {
        if (ipv4 && ipv6) {
            throw new UserError("give -4 or -6, not both");
        }
        boolean iperf2 = endpoint.iperf2;
        endpoint.stack.check(ipv6);
        TestSpec spec = test.toSpec(iperf2);
        InetSocketAddress server = Endpoints.resolve(host, endpoint.port(), ipv4 || endpoint.stack.userspace(), ipv6);
        endpoint.stack.checkReachable(server.getAddress());
        ReportPrinter printer = new ReportPrinter(endpoint.format(), spec.protocol(), System.out);
        try (StackOptions.Opened opened = endpoint.stack.open(System.err)) {
            Transport transport = opened.transport();
            TestResult result;
            if (iperf2) {
                StopSignal stop = new StopSignal();
                try (EndOnInterrupt interrupt = new EndOnInterrupt(() -> {
                    stop.stop();
                    return true;
                })) {
                    result = Iperf2Client.run(transport, server, spec, printer, System.err, stop);
                    printer.result(result);
                }
            } else {
                Iperf3Client client = new Iperf3Client(transport,
                        new Iperf3Client.Options(serverOutput, false, 30_000, test.verifySeed(), test.omitSeconds,
                                test.length == null));
                try (EndOnInterrupt interrupt = new EndOnInterrupt(client::endEarly)) {
                    Iperf3Client.Outcome outcome = client.run(server, spec, printer);
                    result = outcome.result();
                    if (serverOutput && outcome.serverResults() != null) {
                        String text = outcome.serverResults().serverOutputText();
                        if (text != null) {
                            System.out.println("\nServer output:\n" + text);
                        }
                    }
                    printer.result(result);
                }
            }
            TestOptions.requireVerified(result);
        }
        return 0;
    }
}
