package dev.tapir.engine.iperf2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tapir.engine.report.HumanReport;
import dev.tapir.engine.report.JsonReport;
import dev.tapir.engine.report.TestResult;
import dev.tapir.engine.report.UdpFigures;
import dev.tapir.engine.test.Protocol;
import dev.tapir.engine.test.TestSpec;
import dev.tapir.engine.transport.DatagramOptions;
import dev.tapir.engine.transport.StreamOptions;
import dev.tapir.engine.transport.Transport;
import dev.tapir.engine.transport.kernel.KernelTransport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tapir's iperf2 dialect against the real iperf 2.1.8 (/usr/bin/iperf) on loopback, both directions, TCP and UDP. */
class Iperf2InteropTest {
    private static final String IPERF = "/usr/bin/iperf";
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final long SECOND = 1_000_000_000L;
    /** iperf's server report line: interval, transfer, bandwidth, jitter, lost/total. */
    private static final Pattern SERVER_REPORT = Pattern.compile(
            "sec\\s+\\S+ \\S*Bytes\\s+\\S+ \\S*bits/sec\\s+([0-9.]+) ms\\s+(\\d+)/(\\d+) \\(");

    @TempDir
    Path dir;
    private Transport transport;
    private final List<Process> processes = new ArrayList<>();
    private final List<Iperf2Server> servers = new ArrayList<>();

    @BeforeEach
    void open() {
        transport = new KernelTransport();
    }

    @AfterEach
    void cleanUp() {
        for (Process p : processes) {
            p.destroyForcibly();
        }
        for (Iperf2Server s : servers) {
            s.close();
        }
        transport.close();
    }

    // ---- tapir client -> iperf -s ----

    @Test
    void tapirTcpClientSendsExactByteCountToIperfServer() throws Exception {
        int port = freePort();
        Path out = startIperf("-s", "-p", String.valueOf(port), "-y", "C");
        waitForListener(port);
        long n = 3_000_000;
        TestResult r = Iperf2Client.run(transport, new InetSocketAddress(LOOPBACK, port), tcp(n, 0), null, System.err);
        assertEquals(n, r.streams().get(0).sent().bytes());
        // iperf 2 tells a TCP client nothing back: its summary has the sender line only, not a receiver line of zeros
        String human = HumanReport.summary(r);
        assertTrue(human.contains(" sender\n") && !human.contains("receiver"), human);
        String[] line = awaitCsvLine(out);
        assertEquals(n, Long.parseLong(line[7]));
        assertEquals(String.valueOf(r.start().connected().get(0).localPort()), line[2], "client port first");
    }

    @Test
    void tapirTcpClientTimedMatchesIperfServerCount() throws Exception {
        int port = freePort();
        Path out = startIperf("-s", "-p", String.valueOf(port), "-y", "C");
        waitForListener(port);
        TestResult r = Iperf2Client.run(transport, new InetSocketAddress(LOOPBACK, port), tcp(0, SECOND), null,
                System.err);
        long sent = r.streams().get(0).sent().bytes();
        assertTrue(sent > ClientHeader.LENGTH, "sent " + sent);
        assertEquals(sent, Long.parseLong(awaitCsvLine(out)[7]));
    }

    @Test
    void tapirUdpClientGetsServerReportFromIperfServer() throws Exception {
        int port = freePort();
        Path out = startIperf("-s", "-u", "-p", String.valueOf(port), "-y", "C");
        Thread.sleep(300);
        ByteArrayOutputStream warnings = new ByteArrayOutputStream();
        TestResult r = Iperf2Client.run(transport, new InetSocketAddress(LOOPBACK, port), udp(0, SECOND, 10_000_000),
                null, new PrintStream(warnings, true, StandardCharsets.UTF_8));
        assertEquals("", warnings.toString(StandardCharsets.UTF_8));
        var stream = r.streams().get(0);
        UdpFigures udp = stream.udp();
        assertNotNull(udp, "server report parsed");
        assertEquals(stream.sent().bytes(), stream.received().bytes(),
                "server got every byte, FIN included: " + udp + " " + stream + " " + Files.readString(out));
        assertEquals(stream.sentPackets(), udp.packets());
        assertEquals(0, udp.lostPackets());
        assertEquals(0, udp.outOfOrder());
        assertTrue(udp.jitterMillis() >= 0 && udp.jitterMillis() < 50, "jitter " + udp.jitterMillis());
        assertTrue(stream.received().seconds() > 0.8 && stream.received().seconds() < 1.5);
        String[] line = awaitCsvLine(out);
        assertEquals(stream.received().bytes(), Long.parseLong(line[7]));
        assertEquals(0, Long.parseLong(line[10]));
        assertEquals(udp.packets(), Long.parseLong(line[11]));
    }

    // ---- iperf -c -> tapir server ----

    @Test
    void tapirUdpClientWithoutServerReportPrintsItsOwnFigures() throws Exception {
        // a UDP socket that takes the datagrams and never answers: the FIN's report never comes
        try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            ByteArrayOutputStream warnings = new ByteArrayOutputStream();
            TestResult r = Iperf2Client.run(transport, new InetSocketAddress(LOOPBACK, silent.getLocalPort()),
                    udp(0, SECOND / 5, 1_000_000), null, new PrintStream(warnings, true, StandardCharsets.UTF_8));
            assertTrue(warnings.toString(StandardCharsets.UTF_8).startsWith("WARNING: did not receive ack"));
            long sent = r.streams().get(0).sentPackets();
            assertTrue(sent > 0);
            String human = HumanReport.summary(r);
            assertTrue(human.contains(" 0/" + sent + " (0%)  sender\n"), human);
            assertFalse(human.contains("receiver"), human);
            var sum = new ObjectMapper().readTree(JsonReport.render(r, false)).get("end").get("sum");
            assertEquals(sent, sum.get("packets").asLong());
        }
    }

    @Test
    void tapirUdpClientSendsSmallDatagramsAsIperfDoes() throws Exception {
        int port = freePort();
        startIperf("-s", "-u", "-p", String.valueOf(port));
        Thread.sleep(300);
        // iperf -c -u -l 64 cuts its 76-byte header to fit; tapir refused anything below 76 bytes
        TestSpec spec = new TestSpec(Protocol.UDP, 64, 0, 0, SECOND / 2, 0, 1_000_000, 1, false, false,
                StreamOptions.DEFAULT, DatagramOptions.DEFAULT, false);
        TestResult r = Iperf2Client.run(transport, new InetSocketAddress(LOOPBACK, port), spec, null, System.err);
        var stream = r.streams().get(0);
        assertNotNull(stream.udp(), "server report parsed");
        assertEquals(stream.sentPackets(), stream.udp().packets());
        assertEquals(0, stream.udp().lostPackets());
        assertEquals(64 * stream.sentPackets(), stream.received().bytes());
        assertTrue(stream.sentPackets() > 400, "1 Mbit/s for 0.5 s in 64-byte datagrams: " + stream.sentPackets());
    }

    @Test
    void iperfTcpClientByteCountToTapirServer() throws Exception {
        BlockingQueue<TestResult> results = new ArrayBlockingQueue<>(4);
        int port = startServer(Protocol.TCP, results);
        Path out = runIperf("-c", "127.0.0.1", "-p", String.valueOf(port), "-n", "3000000", "-y", "C");
        TestResult r = results.poll(10, TimeUnit.SECONDS);
        assertNotNull(r);
        assertEquals(3_000_000, r.streams().get(0).received().bytes());
        String[] line = awaitCsvLine(out);
        assertEquals(3_000_000, Long.parseLong(line[7]));
        String[] ours = Iperf2Csv.render(r).strip().split(",");
        assertEquals(List.of(line[1], line[2], line[3], line[4]), List.of(ours[1], ours[2], ours[3], ours[4]),
                "client endpoint first on both sides");
    }

    @Test
    void iperfTcpClientTimedToTapirServer() throws Exception {
        BlockingQueue<TestResult> results = new ArrayBlockingQueue<>(4);
        int port = startServer(Protocol.TCP, results);
        Path out = runIperf("-c", "127.0.0.1", "-p", String.valueOf(port), "-t", "1", "-y", "C");
        TestResult r = results.poll(10, TimeUnit.SECONDS);
        assertNotNull(r);
        assertEquals(Long.parseLong(awaitCsvLine(out)[7]), r.streams().get(0).received().bytes());
    }

    @Test
    void iperfUdpClientPrintsValidServerReportFromTapirServer() throws Exception {
        BlockingQueue<TestResult> results = new ArrayBlockingQueue<>(4);
        int port = startServer(Protocol.UDP, results);
        Path out = runIperf("-c", "127.0.0.1", "-u", "-p", String.valueOf(port), "-b", "10M", "-t", "1");
        String text = Files.readString(out);
        assertFalse(text.contains("WARNING"), text);
        Matcher m = SERVER_REPORT.matcher(text);
        assertTrue(m.find(), text);
        TestResult r = results.poll(10, TimeUnit.SECONDS);
        assertNotNull(r);
        UdpFigures udp = r.streams().get(0).udp();
        assertEquals(0, Long.parseLong(m.group(2)), text);
        assertEquals(udp.packets(), Long.parseLong(m.group(3)), text);
        assertEquals(Math.floor(udp.jitterMillis() * 1000) / 1000, Double.parseDouble(m.group(1)), 0.0015, text);
        assertTrue(udp.packets() > 800, "10 × 2^20 bit/s of 1470-byte datagrams for 1 s: " + udp.packets());
        assertEquals(0, udp.lostPackets());
    }

    @Test
    void iperfUdpClientByteCountToTapirServer() throws Exception {
        BlockingQueue<TestResult> results = new ArrayBlockingQueue<>(4);
        int port = startServer(Protocol.UDP, results);
        Path out = runIperf("-c", "127.0.0.1", "-u", "-p", String.valueOf(port), "-b", "10M", "-n", "100000",
                "-y", "C");
        TestResult r = results.poll(10, TimeUnit.SECONDS);
        assertNotNull(r);
        // 2.1.8 sends exactly 100000 bytes of data (a short last datagram), then a full-size FIN that counts.
        assertEquals(100_000 + 1470, r.streams().get(0).received().bytes());
        assertEquals(Long.parseLong(awaitCsvLine(out)[7]), r.streams().get(0).received().bytes());
        assertEquals(0, r.streams().get(0).udp().lostPackets());
    }

    // ---- crafted datagrams -> tapir server ----

    @Test
    void oldTwelveByteHeaderSenderGetsReport() throws Exception {
        BlockingQueue<TestResult> results = new ArrayBlockingQueue<>(4);
        int port = startServer(Protocol.UDP, results);
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            socket.connect(new InetSocketAddress(LOOPBACK, port));
            for (int id = 1; id <= 100; id++) {
                socket.send(oldDatagram(id, 1470));
                if (id % 10 == 0) {
                    Thread.sleep(1); // about 1.5 MB/s: well inside the receive buffer, as the §7 sender's 1.1 ms gaps
                }
            }
            ByteBuffer report = finUntilReport(socket, -101);
            assertEquals(ServerReport.LENGTH, report.remaining());
            assertEquals(ServerReport.FLAGS, report.getInt(ServerReport.FLAGS_OFFSET));
            assertEquals(148_470, report.getInt(ServerReport.TOTAL_LEN2_OFFSET));
            assertEquals(101, report.getInt(ServerReport.DATAGRAMS_OFFSET));
            assertEquals(0, report.getInt(ServerReport.ERROR_CNT_OFFSET));
            assertEquals(0, report.getInt(ServerReport.OUTORDER_CNT_OFFSET));
            assertEquals(101, report.getInt(ServerReport.CNT_TRANSIT_OFFSET));
        }
        TestResult r = results.poll(10, TimeUnit.SECONDS);
        assertNotNull(r);
        assertEquals(148_470, r.streams().get(0).received().bytes());
    }

    @Test
    void garbageIsCountedAndDroppedThenANormalTestCompletes() throws Exception {
        BlockingQueue<TestResult> results = new ArrayBlockingQueue<>(4);
        Iperf2Server server = new Iperf2Server(transport, new InetSocketAddress(LOOPBACK, 0), Protocol.UDP,
                new Iperf2Server.Options(0, null, null, null, results::add));
        servers.add(server);
        Thread serving = Thread.ofPlatform().daemon().start(() -> serveQuietly(server, false));
        int port = server.localAddress().getPort();
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            socket.connect(new InetSocketAddress(LOOPBACK, port));
            for (int i = 0; i < 5; i++) {
                socket.send(new DatagramPacket(new byte[] {1, 2, 3, 4, 5}, 5));
                socket.send(oldDatagram(0, 40));
            }
            for (int id = 1; id <= 20; id++) {
                socket.send(oldDatagram(id, 200));
            }
            ByteBuffer report = finUntilReport(socket, -21);
            assertEquals(21, report.getInt(ServerReport.DATAGRAMS_OFFSET));
            assertEquals(20 * 200 + 1470, report.getInt(ServerReport.TOTAL_LEN2_OFFSET), "the 1470-byte FIN counts");
            assertEquals(0, report.getInt(ServerReport.ERROR_CNT_OFFSET));
        }
        assertNotNull(results.poll(10, TimeUnit.SECONDS));
        assertEquals(10, server.droppedDatagrams());
        // The server is ready for the next test: a real 2.1.8 client completes one.
        Path out = runIperf("-c", "127.0.0.1", "-u", "-p", String.valueOf(port), "-n", "14700");
        assertTrue(SERVER_REPORT.matcher(Files.readString(out)).find(), Files.readString(out));
        TestResult second = results.poll(10, TimeUnit.SECONDS);
        assertNotNull(second);
        assertEquals(11, second.streams().get(0).udp().packets());
        server.close();
        serving.join(5_000);
        assertFalse(serving.isAlive());
    }

    @Test
    void parallelTcpStreamsOfOneClientAreServedTogether() throws Exception {
        BlockingQueue<TestResult> results = new ArrayBlockingQueue<>(4);
        int port = startServer(Protocol.TCP, results);
        runIperf("-c", "127.0.0.1", "-p", String.valueOf(port), "-P", "2", "-t", "1");
        TestResult a = results.poll(10, TimeUnit.SECONDS);
        TestResult b = results.poll(10, TimeUnit.SECONDS);
        assertNotNull(a);
        assertNotNull(b);
        long bytesA = a.streams().get(0).received().bytes();
        long bytesB = b.streams().get(0).received().bytes();
        // served in turn, the second stream sat unread for the whole test: a few MB in a few ms against GBytes
        for (TestResult r : List.of(a, b)) {
            double seconds = r.streams().get(0).received().seconds();
            assertTrue(seconds > 0.8, "each stream is read for the whole test: " + seconds + " s");
        }
        assertTrue(Math.min(bytesA, bytesB) * 10 > Math.max(bytesA, bytesB), bytesA + " vs " + bytesB);
        assertTrue(a.streams().get(0).id() != b.streams().get(0).id(), "the streams are numbered apart");
    }

    @Test
    void tradeoffAndDualTestsConnectBackToTheClient() throws Exception {
        BlockingQueue<TestResult> results = new ArrayBlockingQueue<>(8);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Iperf2Server server = new Iperf2Server(transport, new InetSocketAddress(LOOPBACK, 0), Protocol.TCP,
                new Iperf2Server.Options(0, null, null, null, results::add),
                new PrintStream(log, true, StandardCharsets.UTF_8));
        servers.add(server);
        Thread.ofPlatform().daemon().start(() -> serveQuietly(server, false));
        String port = String.valueOf(server.localAddress().getPort());
        for (String mode : new String[] {"-d", "-r"}) {
            // -L: the client's own listener for the test back, apart from the server's port on this one host; with
            // -n and nobody connecting back, iperf 2.1.8 waits for ever
            Path out = runIperf("-c", "127.0.0.1", "-p", port, mode, "-L", String.valueOf(freePort()), "-n",
                    "100000");
            String text = Files.readString(out);
            assertFalse(text.contains("ERROR"), mode + ": " + text);
            TestResult a = results.poll(10, TimeUnit.SECONDS);
            TestResult b = results.poll(10, TimeUnit.SECONDS);
            assertNotNull(a, mode);
            assertNotNull(b, mode);
            for (TestResult r : List.of(a, b)) {
                var stream = r.streams().get(0);
                long moved = r.start().client() ? stream.sent().bytes() : stream.received().bytes();
                assertEquals(100_000, moved, mode + " " + (r.start().client() ? "back" : "forth") + ": " + text);
            }
            assertTrue(a.start().client() != b.start().client(), mode + ": one test each way");
        }
        assertEquals("", log.toString(StandardCharsets.UTF_8));
    }

    @Test
    void udpClientsOneAfterAnotherLoseNothing() throws Exception {
        BlockingQueue<TestResult> results = new ArrayBlockingQueue<>(8);
        Iperf2Server server = new Iperf2Server(transport, new InetSocketAddress(LOOPBACK, 0), Protocol.UDP,
                new Iperf2Server.Options(0, null, null, null, results::add));
        servers.add(server);
        Thread.ofPlatform().daemon().start(() -> serveQuietly(server, false));
        String port = String.valueOf(server.localAddress().getPort());
        List<Path> outs = new ArrayList<>();
        for (int run = 1; run <= 3; run++) {
            // each client starts as soon as the last one has its report, while the server still listens for that
            // one's repeated FIN
            outs.add(runIperf("-c", "127.0.0.1", "-u", "-p", port, "-l", "200", "-b", "2M", "-t", "0.5"));
        }
        for (int run = 1; run <= 3; run++) {
            String out = Files.readString(outs.get(run - 1));
            Matcher m = SERVER_REPORT.matcher(out);
            assertTrue(m.find(), out);
            assertEquals("0", m.group(2), "run " + run + " lost datagrams: " + out);
            TestResult r = results.poll(10, TimeUnit.SECONDS);
            assertNotNull(r);
            assertEquals(0, r.streams().get(0).udp().lostPackets(), "run " + run);
            double seconds = r.streams().get(0).received().seconds();
            assertTrue(seconds > 0.45, "run " + run + " measured from its first datagram: " + seconds);
        }
    }

    @Test
    void iperfUdpParallelStreamsGetAReportEach() throws Exception {
        BlockingQueue<TestResult> results = new ArrayBlockingQueue<>(8);
        int port = startServer(Protocol.UDP, results);
        Path out = runIperf("-c", "127.0.0.1", "-u", "-p", String.valueOf(port), "-P", "3", "-b", "20M", "-t", "1");
        String text = Files.readString(out);
        assertFalse(text.contains("WARNING"), text);
        Matcher m = SERVER_REPORT.matcher(text);
        List<Long> reported = new ArrayList<>();
        while (m.find()) {
            assertEquals("0", m.group(2), text);
            reported.add(Long.parseLong(m.group(3)));
        }
        assertEquals(3, reported.size(), "a server report per stream: " + text);
        List<Long> counted = new ArrayList<>();
        List<Integer> clientPorts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            TestResult r = results.poll(10, TimeUnit.SECONDS);
            assertNotNull(r, "a result per stream, from one -1 server");
            counted.add(r.streams().get(0).udp().packets());
            clientPorts.add(r.start().connected().get(0).remotePort());
            assertEquals(0, r.streams().get(0).udp().lostPackets());
        }
        reported.sort(null);
        counted.sort(null);
        assertEquals(reported, counted, text);
        assertEquals(3, clientPorts.stream().distinct().count(), "one test per sender: " + clientPorts);
        // 20 × 2^20 bit/s of 1470-byte datagrams for 1 s each: ~1780
        assertTrue(counted.get(0) > 1500, counted.toString());
    }

    @Test
    void tripTimesClientGetsTheExtendedReportWithLatency() throws Exception {
        BlockingQueue<TestResult> results = new ArrayBlockingQueue<>(4);
        int port = startServer(Protocol.UDP, results);
        Path out = runIperf("-c", "127.0.0.1", "-u", "-p", String.valueOf(port), "-b", "10M", "-t", "1",
                "--trip-times");
        String text = Files.readString(out);
        // 2.1.8 prints "-/-/-/- ms 0 pps" when the server's report lacks SERVER_HEADER_EXTEND
        Matcher m = Pattern.compile("\\(0%\\) ([0-9.]+)/([0-9.]+)/([0-9.]+)/([0-9.]+) ms (\\d+) pps").matcher(text);
        assertTrue(m.find(), text);
        double mean = Double.parseDouble(m.group(1));
        double min = Double.parseDouble(m.group(2));
        double max = Double.parseDouble(m.group(3));
        assertTrue(min > 0 && min <= mean && mean <= max, text);
        assertTrue(Long.parseLong(m.group(5)) > 800, "about 892 datagrams/s: " + text);
        assertNotNull(results.poll(10, TimeUnit.SECONDS));
    }

    @Test
    void interleavedSendersAreTestsOfTheirOwn() throws Exception {
        BlockingQueue<TestResult> results = new ArrayBlockingQueue<>(4);
        int port = startServer(Protocol.UDP, results);
        try (DatagramSocket a = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
                DatagramSocket b = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            a.connect(new InetSocketAddress(LOOPBACK, port));
            b.connect(new InetSocketAddress(LOOPBACK, port));
            // one sender's ids run 1..300, the other's 1..200 at another length: both in the same receive batches
            for (int id = 1; id <= 300; id++) {
                a.send(oldDatagram(id, 100));
                if (id <= 200) {
                    b.send(oldDatagram(id, 300));
                }
            }
            ByteBuffer reportB = finUntilReport(b, -201);
            assertEquals(201, reportB.getInt(ServerReport.DATAGRAMS_OFFSET));
            assertEquals(200 * 300 + 1470, reportB.getInt(ServerReport.TOTAL_LEN2_OFFSET));
            assertEquals(0, reportB.getInt(ServerReport.ERROR_CNT_OFFSET));
            assertEquals(0, reportB.getInt(ServerReport.OUTORDER_CNT_OFFSET));
            ByteBuffer reportA = finUntilReport(a, -301);
            assertEquals(301, reportA.getInt(ServerReport.DATAGRAMS_OFFSET));
            assertEquals(300 * 100 + 1470, reportA.getInt(ServerReport.TOTAL_LEN2_OFFSET));
            assertEquals(0, reportA.getInt(ServerReport.ERROR_CNT_OFFSET));
            TestResult first = results.poll(10, TimeUnit.SECONDS);
            TestResult second = results.poll(10, TimeUnit.SECONDS);
            assertNotNull(first);
            assertNotNull(second, "the -1 server serves both senders' tests");
            assertEquals(b.getLocalPort(), first.start().connected().get(0).remotePort());
            assertEquals(200 * 300 + 1470, first.streams().get(0).received().bytes());
            assertEquals(a.getLocalPort(), second.start().connected().get(0).remotePort());
            assertEquals(300 * 100 + 1470, second.streams().get(0).received().bytes());
        }
    }

    // ---- helpers ----

    private static TestSpec tcp(long bytes, long durationNanos) {
        return new TestSpec(Protocol.TCP, Iperf2Client.DEFAULT_TCP_LENGTH, bytes, 0, durationNanos, 0, 0, 1, false,
                false, StreamOptions.DEFAULT, DatagramOptions.DEFAULT, false);
    }

    private static TestSpec udp(long bytes, long durationNanos, long rate) {
        return new TestSpec(Protocol.UDP, Iperf2Client.DEFAULT_UDP_LENGTH, bytes, 0, durationNanos, 0, rate, 1,
                false, false, StreamOptions.DEFAULT, DatagramOptions.DEFAULT, false);
    }

    private int startServer(Protocol protocol, BlockingQueue<TestResult> results) throws IOException {
        Iperf2Server server = new Iperf2Server(transport, new InetSocketAddress(LOOPBACK, 0), protocol,
                new Iperf2Server.Options(0, null, null, null, results::add));
        servers.add(server);
        Thread.ofPlatform().daemon().start(() -> serveQuietly(server, true));
        return server.localAddress().getPort();
    }

    private static void serveQuietly(Iperf2Server server, boolean oneOff) {
        try {
            server.serve(oneOff);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private Path startIperf(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(IPERF);
        command.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "iperf", ".out");
        processes.add(new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start());
        return out;
    }

    /** Runs iperf to its end (at most 20 s) and expects a clean exit; returns its output file. */
    private Path runIperf(String... args) throws Exception {
        Path out = startIperf(args);
        Process p = processes.get(processes.size() - 1);
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "iperf did not finish");
        assertEquals(0, p.exitValue(), Files.readString(out));
        return out;
    }

    /** The first CSV line iperf wrote, split into fields; waits at most 10 s. */
    private static String[] awaitCsvLine(Path out) throws Exception {
        long deadline = System.nanoTime() + 10 * SECOND;
        while (System.nanoTime() < deadline) {
            for (String line : Files.readAllLines(out)) {
                if (line.matches("\\d{14},.*")) {
                    return line.split(",");
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no CSV line from iperf: " + Files.readString(out));
    }

    private static void waitForListener(int port) throws Exception {
        long deadline = System.nanoTime() + 5 * SECOND;
        while (System.nanoTime() < deadline) {
            try (java.net.Socket probe = new java.net.Socket()) {
                probe.connect(new InetSocketAddress(LOOPBACK, port), 200);
                return;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        throw new AssertionError("iperf did not listen on " + port);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK); DatagramSocket d = new DatagramSocket(s.getLocalPort(), LOOPBACK)) {
            return s.getLocalPort();
        }
    }

    /** A 2.0.9-era datagram: id, sec, usec (wall clock), then zeros. */
    private static DatagramPacket oldDatagram(int id, int length) {
        long micros = System.currentTimeMillis() * 1000;
        ByteBuffer b = ByteBuffer.allocate(length);
        b.putInt(id).putInt((int) (micros / 1_000_000)).putInt((int) (micros % 1_000_000));
        return new DatagramPacket(b.array(), length);
    }

    /** Sends the FIN every 250 ms (at most 10 times) until the 128-byte report comes back. */
    private static ByteBuffer finUntilReport(DatagramSocket socket, int finId) throws IOException {
        socket.setSoTimeout(250);
        byte[] reply = new byte[2048];
        for (int i = 0; i < 10; i++) {
            DatagramPacket fin = oldDatagram(finId, 1470);
            socket.send(new DatagramPacket(fin.getData(), fin.getLength()));
            DatagramPacket in = new DatagramPacket(reply, reply.length);
            try {
                socket.receive(in);
                return ByteBuffer.wrap(reply, 0, in.getLength()).slice();
            } catch (java.net.SocketTimeoutException silent) {
                // the server may not have seen the FIN yet; send it again, as the §7 sender did
            }
        }
        throw new AssertionError("no server report after 10 FINs");
    }
}
