package dev.tapir.cli;

import dev.tapir.engine.iperf2.Iperf2Client;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The options a server and a client share: dialect, port, result format and the stack the endpoint runs on. */
final class EndpointOptions {
    static final int IPERF3_PORT = 5201;

    @Option(names = {"-p", "--port"}, paramLabel = "PORT",
            description = "The server's port (default 5201; 5001 with --iperf2).")
    Integer port;

    @Option(names = "--iperf2", description = "Speak iperf 2's protocol (2.0.9 and later) instead of iperf3's.")
    boolean iperf2;

    @Mixin
    OutputOptions output;

    @Mixin
    StackOptions stack;

    int port() {
        return port != null ? port : iperf2 ? Iperf2Client.DEFAULT_PORT : IPERF3_PORT;
    }

    ReportPrinter.Format format() {
        return output.format();
    }
}
