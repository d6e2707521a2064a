package dev.tapir.engine.iperf3;

import dev.tapir.engine.transport.StreamOptions;
import dev.tapir.engine.transport.Transport;
import dev.tapir.engine.transport.kernel.KernelTransport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tapir.engine.report.Interval;
import dev.tapir.engine.report.TestResult;
import dev.tapir.engine.test.Protocol;
import dev.tapir.engine.test.TestSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** tapir's iperf3 dialect against the real iperf3 3.12 binary on loopback, both directions. */
class Iperf3InteropTest {
    static final String IPERF3 = "/usr/bin/iperf3";
    static final long SECOND = 1_000_000_000L;

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static TestSpec spec(Protocol protocol, int length, long bytes, long seconds, long rate, int streams,
            boolean reverse, boolean bidir) {
        return new TestSpec(protocol, length, bytes, 0, bytes > 0 ? 0 : seconds * SECOND, 0, rate, streams, reverse,
                bidir, null, null, false);
    }

    /** A real iperf3 process with its stdout in a file; destroyed on close. */
    record Iperf3Process(Process process, Path stdout) implements AutoCloseable {
        static Iperf3Process start(String... args) throws IOException {
            List<String> command = new ArrayList<>(List.of(IPERF3));
            command.addAll(List.of(args));
            Path out = Files.createTempFile("iperf3-", ".out");
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            return new Iperf3Process(p, out);
        }

        int await(long seconds) throws Exception {
            assertTrue(process.waitFor(seconds, TimeUnit.SECONDS), "iperf3 did not finish in " + seconds + " s");
            return process.exitValue();
        }

        JsonNode json() throws IOException {
            return ControlChannel.JSON.readTree(Files.readString(stdout));
        }

        String text() throws IOException {
            return Files.readString(stdout);
        }

        @Override
        public void close() throws IOException {
            process.destroyForcibly();
            Files.deleteIfExists(stdout);
        }
    }

    /** Waits until iperf3 -s listens on {@code port} (read from /proc/net/tcp: a probe connection would be a test). */
    static void awaitListening(int port) throws Exception {
        String local = String.format(":%04X 00000000:0000 0A", port);
        for (int i = 0; i < 250; i++) {
            for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
                if (Files.readString(Path.of(table)).contains(local) || Files.readString(Path.of(table))
                        .contains(String.format(":%04X 00000000000000000000000000000000:0000 0A", port))) {
                    return;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("iperf3 server did not start listening on " + port);
    }

    static Iperf3Client.Outcome runClient(TestSpec spec, int port, Iperf3Client.Options options) throws IOException {
        try (KernelTransport transport = new KernelTransport()) {
            return new Iperf3Client(transport, options).run(new InetSocketAddress("127.0.0.1", port), spec, null);
        }
    }

    // ---- tapir client -> iperf3 -s ----

    @Test
    void tapirClientSendsExactBytesToIperf3Server() throws Exception {
        int port = freePort();
        try (var server = Iperf3Process.start("-s", "-1", "-p", String.valueOf(port), "-J")) {
            awaitListening(port);
            long bytes = 10L * 1024 * 1024;
            var outcome = runClient(spec(Protocol.TCP, 131072, bytes, 0, 0, 1, false, false), port,
                    Iperf3Client.Options.DEFAULT);
            assertEquals(0, server.await(10));
            TestResult r = outcome.result();
            assertEquals(bytes, r.sumSent().bytes());
            JsonNode end = server.json().get("end");
            // iperf3's server stops counting at TEST_END; whatever it counted is what tapir reports as received.
            assertEquals(end.get("sum_received").get("bytes").longValue(), r.sumReceived().bytes());
            assertTrue(r.sumReceived().bytes() > 0 && r.sumReceived().bytes() <= bytes);
        }
    }

    @Test
    void tapirClientOmitsTheStartAsIperf3Does() throws Exception {
        int port = freePort();
        try (var server = Iperf3Process.start("-s", "-1", "-p", String.valueOf(port), "-J")) {
            awaitListening(port);
            TestSpec spec = new TestSpec(Protocol.TCP, 131072, 0, 0, 2 * SECOND, SECOND / 2, 100_000_000, 1, false,
                    false, null, null, false);
            TestResult r = runClient(spec, port, new Iperf3Client.Options(false, false, 10_000, 1, 1)).result();
            assertEquals(0, server.await(10));
            // -O 1 -t 2: one omitted second first (two half-second intervals), then two counted seconds from 0
            List<Interval> intervals = r.intervals();
            assertTrue(intervals.get(0).sum().omitted() && intervals.get(1).sum().omitted(), intervals.toString());
            Interval firstCounted = intervals.get(2);
            assertTrue(!firstCounted.sum().omitted() && firstCounted.sum().start() == 0, intervals.toString());
            double seconds = r.sumSent().seconds();
            assertTrue(seconds > 1.95 && seconds < 2.2, "sent for " + seconds + " s after the omitted one");
            // 100 Mbit/s paced from the test's start: the counted two seconds carry ~25 MB, not the omitted third
            assertTrue(Math.abs(r.sumSent().bytes() - 25_000_000) < 2_500_000, "sent " + r.sumSent().bytes());
            JsonNode json = server.json();
            assertEquals(1, json.get("start").get("test_start").get("omit").intValue());
            JsonNode received = json.get("end").get("sum_received");
            assertTrue(Math.abs(received.get("bytes").longValue() - r.sumSent().bytes()) < 1_000_000,
                    received + " against " + r.sumSent().bytes());
        }
    }

    @Test
    void tapirClientOmitsTheStartOfAByteCountAsIperf3Does() throws Exception {
        int port = freePort();
        try (var server = Iperf3Process.start("-s", "-1", "-p", String.valueOf(port), "-J")) {
            awaitListening(port);
            long bytes = 20L * 1024 * 1024;
            // -n 20M -b 100M -O 1: a second of ~12.5 MB omitted, then 20 MiB counted, as iperf3's client sends it
            TestSpec spec = new TestSpec(Protocol.TCP, 131072, bytes, 0, 0, SECOND / 2, 100_000_000, 1, false,
                    false, null, null, false);
            TestResult r = runClient(spec, port, new Iperf3Client.Options(false, false, 10_000, 1, 1)).result();
            assertEquals(0, server.await(10));
            assertEquals(bytes, r.sumSent().bytes(), "the limit counts after the omitted start");
            assertTrue(r.intervals().get(0).sum().omitted(), r.intervals().toString());
            double seconds = r.sumSent().seconds();
            assertTrue(seconds > 1.5 && seconds < 2.2, "20 MiB at 100 Mbit/s after the omitted second: " + seconds);
            long received = server.json().get("end").get("sum_received").get("bytes").longValue();
            assertTrue(Math.abs(received - bytes) < 2_000_000, received + " against " + bytes);
        }
    }

    @Test
    void tapirClientParallelReverseAndBidirAgainstIperf3Server() throws Exception {
        for (String mode : new String[] {"P4", "R", "bidir"}) {
            int port = freePort();
            try (var server = Iperf3Process.start("-s", "-1", "-p", String.valueOf(port), "-J")) {
                awaitListening(port);
                TestSpec spec = switch (mode) {
                    case "P4" -> spec(Protocol.TCP, 131072, 0, 1, 0, 4, false, false);
                    case "R" -> spec(Protocol.TCP, 131072, 0, 1, 0, 1, true, false);
                    default -> spec(Protocol.TCP, 131072, 0, 1, 0, 1, false, true);
                };
                TestResult r = runClient(spec, port, Iperf3Client.Options.DEFAULT).result();
                assertEquals(0, server.await(10), mode);
                JsonNode end = server.json().get("end");
                int expectedStreams = mode.equals("P4") ? 4 : mode.equals("bidir") ? 2 : 1;
                assertEquals(expectedStreams, r.streams().size(), mode);
                assertEquals(expectedStreams, end.get("streams").size(), mode);
                assertTrue(r.sumSent().bytes() > 0 && r.sumReceived().bytes() > 0, mode);
                if (mode.equals("R")) {
                    // The server sent; its sum_sent is what tapir reports as sent.
                    assertEquals(end.get("sum_sent").get("bytes").longValue(), r.sumSent().bytes(), mode);
                } else if (mode.equals("P4")) {
                    assertEquals(end.get("sum_received").get("bytes").longValue(), r.sumReceived().bytes(), mode);
                }
            }
        }
    }

    @Test
    void tapirClientUdpAgainstIperf3Server() throws Exception {
        int port = freePort();
        try (var server = Iperf3Process.start("-s", "-1", "-p", String.valueOf(port), "-J")) {
            awaitListening(port);
            TestResult r = runClient(spec(Protocol.UDP, 1200, 0, 1, 20_000_000, 1, false, false), port,
                    Iperf3Client.Options.DEFAULT).result();
            assertEquals(0, server.await(10));
            JsonNode sum = server.json().get("end").get("sum");
            var udp = r.sumUdp();
            assertNotNull(udp);
            assertEquals(sum.get("packets").longValue(), udp.packets());
            assertEquals(sum.get("lost_packets").longValue(), udp.lostPackets());
            assertTrue(udp.lostPercent() < 1.0, "loss " + udp.lostPercent());
            assertTrue(udp.jitterMillis() >= 0 && udp.jitterMillis() < 50, "jitter " + udp.jitterMillis());
            // 20 Mbit/s for 1 s in 1200-byte datagrams is about 2083 datagrams.
            assertTrue(r.sumSentPackets() > 1500 && r.sumSentPackets() < 2600, "sent " + r.sumSentPackets());
        }
    }

    @Test
    void tapirUdpClientWithoutLengthSizesDatagramsAsIperf3Does() throws Exception {
        int port = freePort();
        int iperf3Length;
        try (var server = Iperf3Process.start("-s", "-1", "-p", String.valueOf(port))) {
            awaitListening(port);
            try (var client = Iperf3Process.start("-c", "127.0.0.1", "-p", String.valueOf(port), "-u", "-b", "10M",
                    "-t", "1", "-J")) {
                assertEquals(0, client.await(10));
                iperf3Length = client.json().get("start").get("test_start").get("blksize").intValue();
            }
            server.await(10);
        }
        port = freePort();
        try (var server = Iperf3Process.start("-s", "-1", "-p", String.valueOf(port), "-J")) {
            awaitListening(port);
            TestResult r = runClient(spec(Protocol.UDP, 1460, 0, 1, 10_000_000, 1, false, false), port,
                    new Iperf3Client.Options(false, false, 10_000, 1, 0, true)).result();
            assertEquals(0, server.await(10));
            int length = r.start().blksize();
            // the control connection's MSS, read at a slightly different moment than iperf3's (within a few bytes)
            assertTrue(length > 8_000 && Math.abs(length - iperf3Length) <= 64, length + " against " + iperf3Length);
            assertEquals(length, r.start().tcpMssDefault());
            assertEquals(length, server.json().get("start").get("test_start").get("blksize").intValue());
            assertEquals(r.sumSent().bytes(), r.sumSentPackets() * length);
        }
    }

    @Test
    void tapirClientPacesTcpAtTheBitrate() throws Exception {
        int port = freePort();
        try (var server = Iperf3Process.start("-s", "-1", "-p", String.valueOf(port), "-J")) {
            awaitListening(port);
            // -b 40M on TCP: 5 MB in 1 s, as iperf3 -c -b 40M sends (tapir sent as fast as it could)
            TestResult r = runClient(spec(Protocol.TCP, 131072, 0, 1, 40_000_000, 1, false, false), port,
                    Iperf3Client.Options.DEFAULT).result();
            assertEquals(0, server.await(10));
            assertEquals(5_000_000, r.sumSent().bytes(), 750_000, "bytes sent at 40 Mbit/s for 1 s");
            assertEquals(r.sumSent().bytes(),
                    server.json().get("end").get("sum_received").get("bytes").longValue(), 131072 * 2);
        }
    }

    @Test
    void iperf3ServerRefusalIsExplainedInWords() throws Exception {
        int port = freePort();
        try (var server = Iperf3Process.start("-s", "-1", "-p", String.valueOf(port))) {
            awaitListening(port);
            TestSpec spec = new TestSpec(Protocol.TCP, 131072, 0, 0, SECOND, 0, 0, 1, false, false,
                    new StreamOptions(0, 10, false, null), null, false);
            var e = assertThrows(Iperf3ProtocolException.class,
                    () -> runClient(spec, port, Iperf3Client.Options.DEFAULT));
            // iperf3 answers SERVER_ERROR with its i_errno 123 (IESETMSS) and errno EINVAL
            assertEquals("the server reported an error: could not set the TCP MSS (-M): Invalid argument [EINVAL] "
                    + "(iperf3 error 123)", e.getMessage());
        }
    }

    // ---- iperf3 -c -> tapir server ----

    static final class CollectingOutput implements Iperf3Server.Output {
        final List<TestResult> results = new CopyOnWriteArrayList<>();
        final boolean json;

        CollectingOutput(boolean json) {
            this.json = json;
        }

        @Override
        public void interval(Interval interval) {
        }

        @Override
        public void result(TestResult result) {
            results.add(result);
        }

        @Override
        public String render(TestResult result) {
            return json ? "{\"end\":{\"sum_received\":{\"bytes\":" + result.sumReceived().bytes() + "}}}"
                    : "received " + result.sumReceived().bytes() + " bytes\n";
        }

        @Override
        public boolean json() {
            return json;
        }
    }

    /** A tapir server on a free port, serving on its own thread until closed. */
    static final class RunningServer implements AutoCloseable {
        final Iperf3Server server;
        final Thread thread;
        final CollectingOutput output = new CollectingOutput(true);
        final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();

        RunningServer(Iperf3Server.Options options) throws IOException {
            this(options, new KernelTransport(), new InetSocketAddress("127.0.0.1", 0));
        }

        RunningServer(Iperf3Server.Options options, Transport transport, InetSocketAddress bind) throws IOException {
            PrintStream log = new PrintStream(logBytes, true, StandardCharsets.UTF_8);
            server = new Iperf3Server(transport, bind, options, output, log);
            thread = Thread.ofPlatform().name("test-iperf3-server").start(() -> server.serve(false));
        }

        int port() {
            return server.localAddress().getPort();
        }

        String log() {
            return logBytes.toString(StandardCharsets.UTF_8);
        }

        @Override
        public void close() throws InterruptedException {
            server.close();
            thread.join(5_000);
        }
    }

    static Iperf3Server.Options testServerOptions() {
        return new Iperf3Server.Options(0, 2_000, 10_000);
    }

    @Test
    void iperf3ClientSendsExactBytesToTapirServer() throws Exception {
        try (var server = new RunningServer(testServerOptions())) {
            long bytes = 10L * 1024 * 1024;
            try (var client = Iperf3Process.start("-c", "127.0.0.1", "-p", String.valueOf(server.port()), "-n", "10M",
                    "-J", "--get-server-output")) {
                assertEquals(0, client.await(20), () -> safeText(client));
                JsonNode json = client.json();
                assertTrue(json.get("error") == null, () -> safeText(client));
                assertEquals(bytes, json.get("end").get("sum_sent").get("bytes").longValue());
                assertEquals(bytes, json.get("end").get("sum_received").get("bytes").longValue());
                assertEquals(bytes, json.get("server_output_json").get("end").get("sum_received").get("bytes").longValue());
                TestResult r = server.output.results.get(0);
                assertEquals(bytes, r.sumReceived().bytes());
                assertEquals(bytes, r.sumSent().bytes());
            }
        }
    }

    @Test
    void iperf3ClientModesAgainstTapirServer() throws Exception {
        try (var server = new RunningServer(testServerOptions())) {
            String[][] runs = {
                {"-t", "1"},
                {"-t", "1", "-P", "4"},
                {"-t", "1", "-R"},
                {"-t", "1", "--bidir"},
            };
            int served = 0;
            for (String[] extra : runs) {
                List<String> args = new ArrayList<>(List.of("-c", "127.0.0.1", "-p", String.valueOf(server.port()), "-J"));
                args.addAll(List.of(extra));
                try (var client = Iperf3Process.start(args.toArray(String[]::new))) {
                    String what = String.join(" ", extra);
                    assertEquals(0, client.await(20), () -> what + ": " + safeText(client) + server.log());
                    served++;
                    awaitResults(server, served);
                    assertTrue(client.json().get("error") == null, () -> what + ": " + safeText(client));
                    JsonNode end = client.json().get("end");
                    TestResult r = server.output.results.get(served - 1);
                    int streams = what.contains("-P 4") ? 4 : what.contains("bidir") ? 2 : 1;
                    assertEquals(streams, r.streams().size(), what);
                    assertEquals(streams, end.get("streams").size(), what);
                    assertTrue(end.get("sum_sent").get("bytes").longValue() > 0, what);
                    if (!what.contains("-R") && !what.contains("bidir")) {
                        // The client's figures for what the server received are the server's own.
                        assertEquals(end.get("sum_received").get("bytes").longValue(), r.sumReceived().bytes(), what);
                    }
                    if (what.contains("-R")) {
                        assertEquals(end.get("sum_sent").get("bytes").longValue(), r.sumSent().bytes(), what);
                    }
                    // as 3.12's server: its own algorithm only, named for the role it plays
                    boolean serverSends = what.contains("-R") || what.contains("bidir");
                    String mine = end.get(serverSends ? "sender_tcp_congestion" : "receiver_tcp_congestion")
                            .textValue();
                    assertEquals(serverSends ? mine : null, r.senderCongestion(), what);
                    assertEquals(serverSends ? null : mine, r.receiverCongestion(), what);
                }
            }
        }
    }

    @Test
    void iperf3UdpClientAgainstTapirServer() throws Exception {
        try (var server = new RunningServer(testServerOptions());
                var client = Iperf3Process.start("-c", "127.0.0.1", "-p", String.valueOf(server.port()), "-u", "-b",
                        "20M", "-l", "1200", "-t", "1", "-J")) {
            assertEquals(0, client.await(20), () -> safeText(client) + server.log());
            assertTrue(client.json().get("error") == null, () -> safeText(client));
            awaitResults(server, 1);
            JsonNode received = client.json().get("end").get("sum_received");
            TestResult r = server.output.results.get(0);
            var udp = r.sumUdp();
            assertEquals(received.get("packets").longValue(), udp.packets());
            assertEquals(received.get("lost_packets").longValue(), udp.lostPackets());
            assertTrue(udp.lostPercent() < 1.0, "loss " + udp.lostPercent());
            assertTrue(received.get("jitter_ms").doubleValue() >= 0 && received.get("jitter_ms").doubleValue() < 50);
            assertTrue(udp.packets() > 1500, "packets " + udp.packets());
        }
    }

    static void awaitResults(RunningServer server, int count) throws InterruptedException {
        for (int i = 0; i < 200 && server.output.results.size() < count; i++) {
            Thread.sleep(10);
        }
        assertEquals(count, server.output.results.size(), server.log());
    }

    static String safeText(Iperf3Process p) {
        try {
            return p.text();
        } catch (IOException e) {
            return e.toString();
        }
    }
}
