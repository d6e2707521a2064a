package dev.tapir.cli;

import dev.tapir.engine.iperf3.Iperf3Client;
import dev.tapir.engine.iperf3.Iperf3Server;
import dev.tapir.engine.report.Interval;
import dev.tapir.engine.report.TestResult;
import dev.tapir.engine.test.TestSpec;
import dev.tapir.engine.transport.Transport;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;

/** A server and a client in this one process (iperf3 protocol): the quickstart and memlink runs. */
final class InProcessTest {
    private InProcessTest() {
    }

    /** Runs one test: a one-off server on {@code serverTransport} at {@code bind}, the client on its own transport. */
    static TestResult run(Transport serverTransport, InetSocketAddress bind, Transport clientTransport,
            TestSpec spec, Iperf3Client.Options options, ReportPrinter printer)
            throws IOException, InterruptedException {
        Iperf3Server.Output quiet = new Iperf3Server.Output() {
            @Override
            public void interval(Interval interval) {
            }

            @Override
            public void result(TestResult result) {
            }

            @Override
            public String render(TestResult result) {
                return "";
            }

            @Override
            public boolean json() {
                return false;
            }
        };
        try (Iperf3Server server = new Iperf3Server(serverTransport, bind,
                new Iperf3Server.Options(spec.intervalNanos(), 10_000, 120_000), quiet, System.err)) {
            Thread serving = Thread.ofPlatform().name("tapir-inprocess-server").start(() -> server.serve(true));
            InetSocketAddress target = new InetSocketAddress(bind.getAddress(), server.localAddress().getPort());
            try {
                return new Iperf3Client(clientTransport, options).run(target, spec, printer)
                        .result();
            } finally {
                server.close();
                serving.join(10_000);
            }
        }
    }

    static void banner(PrintStream out, String title) {
        out.println();
        out.println("=== " + title);
    }
}
