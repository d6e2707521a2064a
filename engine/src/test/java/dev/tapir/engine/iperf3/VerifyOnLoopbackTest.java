package dev.tapir.engine.iperf3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tapir.engine.iperf3.Iperf3InteropTest.Iperf3Process;
import dev.tapir.engine.iperf3.Iperf3InteropTest.RunningServer;
import dev.tapir.engine.report.TestResult;
import dev.tapir.engine.report.Verification;
import dev.tapir.engine.test.Protocol;
import dev.tapir.engine.test.TestSpec;
import dev.tapir.engine.transport.DatagramEndpoint;
import dev.tapir.engine.transport.DatagramOptions;
import dev.tapir.engine.transport.StreamConnection;
import dev.tapir.engine.transport.StreamListener;
import dev.tapir.engine.transport.StreamOptions;
import dev.tapir.engine.transport.TcpStats;
import dev.tapir.engine.transport.Transport;
import dev.tapir.engine.transport.kernel.KernelTransport;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** {@code --verify} between tapir endpoints on kernel loopback, and against the real iperf3 3.12. */
class VerifyOnLoopbackTest {
    private static final long SEED = 0x5eed_1234_abcdL;

    static TestSpec verifySpec(Protocol protocol, int length, long bytes, long blocks, long rate, int streams,
            boolean reverse, boolean bidir) {
        return new TestSpec(protocol, length, bytes, blocks, 0, 0, rate, streams, reverse, bidir, null, null, true);
    }

    private static Iperf3Client.Options verifying(long seed) {
        return new Iperf3Client.Options(false, false, 5_000, seed);
    }

    @Test
    void tapirClientAndServerCheckEveryByteInEveryMode() throws Exception {
        long bytes = 6L * 1024 * 1024 + 4321;
        try (var server = new RunningServer(Iperf3InteropTest.testServerOptions())) {
            TestSpec[] specs = {
                verifySpec(Protocol.TCP, 131072, bytes, 0, 0, 1, false, false),
                verifySpec(Protocol.TCP, 100_000, bytes, 0, 0, 2, false, false),
                verifySpec(Protocol.TCP, 131072, bytes, 0, 0, 1, true, false),
                verifySpec(Protocol.TCP, 65536, bytes, 0, 0, 1, false, true),
                // Small blocks: the sender writes them in batches, each block's slice of the pattern its own send.
                verifySpec(Protocol.TCP, 1000, bytes, 0, 0, 1, false, false),
                verifySpec(Protocol.TCP, 100, bytes / 8, 0, 0, 1, true, false),
                verifySpec(Protocol.UDP, 1400, 0, 3000, 100_000_000, 1, false, false),
                // By time: with -k the client would wait for every datagram, and loopback may drop the first ones.
                new TestSpec(Protocol.UDP, 1400, 0, 0, Iperf3InteropTest.SECOND, 0, 100_000_000, 1, true, false, null,
                        null, true),
            };
            String[] names = {"TCP", "TCP -P 2", "TCP -R", "TCP --bidir", "TCP -l 1000", "TCP -l 100 -R", "UDP",
                "UDP -R"};
            for (int i = 0; i < specs.length; i++) {
                String what = names[i];
                TestResult client = Iperf3InteropTest.runClient(specs[i], server.port(), verifying(SEED + i)).result();
                Iperf3InteropTest.awaitResults(server, i + 1);
                TestResult onServer = server.output.results.get(i);
                long received = client.sumReceived().bytes();
                // UDP: every datagram's payload past iperf3's 12-byte header.
                long checked = specs[i].protocol() == Protocol.TCP ? received
                        : received - received / 1400 * Iperf3DatagramHeader.LENGTH_32BIT;
                if (specs[i].protocol() == Protocol.TCP && !specs[i].bidirectional()) {
                    assertEquals(specs[i].byteLimit(), received, what);
                }
                assertTrue(received > 0, what);
                for (TestResult r : new TestResult[] {client, onServer}) {
                    Verification v = r.verification();
                    assertEquals(SEED + i, v.seed(), what);
                    assertFalse(v.failed(), () -> what + ": " + v.line());
                    assertEquals(checked, v.bytesChecked(), what);
                }
            }
        }
    }

    @Test
    void aRealIperf3ServerIsToldApartAndStillRunsTheTest() throws Exception {
        int port = Iperf3InteropTest.freePort();
        try (var iperf3 = Iperf3Process.start("-s", "-1", "-p", String.valueOf(port), "-J")) {
            Iperf3InteropTest.awaitListening(port);
            long bytes = 4L * 1024 * 1024;
            var e = assertThrows(Iperf3ProtocolException.class, () -> Iperf3InteropTest.runClient(
                    verifySpec(Protocol.TCP, 131072, bytes, 0, 0, 1, false, false), port, verifying(SEED)));
            assertEquals("--verify: the server did not verify the data (it is not a tapir server; verify needs tapir "
                    + "at both ends)", e.getMessage());
            // iperf3 3.12 ignored the unknown "tapir_verify" parameter and ran the test to the end.
            assertEquals(0, iperf3.await(10), Iperf3InteropTest.safeText(iperf3));
            JsonNode json = iperf3.json();
            assertNull(json.get("error"), Iperf3InteropTest.safeText(iperf3));
            // iperf3's server stops counting at TEST_END, so it may report less than was sent.
            long received = json.get("end").get("sum_received").get("bytes").longValue();
            assertTrue(received > 0 && received <= bytes, "iperf3 received " + received);
        }
    }

    @Test
    void aRealIperf3ClientGetsAnOrdinaryTestFromATapirServer() throws Exception {
        try (var server = new RunningServer(Iperf3InteropTest.testServerOptions());
                var client = Iperf3Process.start("-c", "127.0.0.1", "-p", String.valueOf(server.port()), "-n", "2M",
                        "-J")) {
            assertEquals(0, client.await(20), () -> Iperf3InteropTest.safeText(client));
            Iperf3InteropTest.awaitResults(server, 1);
            assertEquals(2L * 1024 * 1024, server.output.results.get(0).sumReceived().bytes());
            assertNull(server.output.results.get(0).verification());
            assertNull(client.json().get("end").get("tapir_verify"));
        }
    }

    @Test
    void aByteSpoiledOnTheWayFailsTheTestOnBothEndsAtItsOffset() throws Exception {
        long bytes = 8L * 1024 * 1024;
        long badOffset = 5_000_017;
        try (var server = new RunningServer(Iperf3InteropTest.testServerOptions());
                var transport = new SpoilingTransport(new KernelTransport(), badOffset)) {
            var outcome = new Iperf3Client(transport, verifying(SEED)).run(
                    new InetSocketAddress("127.0.0.1", server.port()),
                    verifySpec(Protocol.TCP, 131072, bytes, 0, 0, 1, false, false), null);
            Iperf3InteropTest.awaitResults(server, 1);
            TestResult onServer = server.output.results.get(0);
            for (Verification v : new Verification[] {outcome.result().verification(), onServer.verification(),
                outcome.serverResults().verification()}) {
                assertTrue(v.failed());
                assertEquals(1, v.stream());
                assertEquals(badOffset, v.firstBadOffset());
                assertEquals(v.expected() ^ 0x40, v.actual());
                assertEquals(bytes, v.bytesChecked());
            }
            String line = onServer.verification().line();
            assertTrue(line.startsWith("verify: mismatch in stream 1 at byte offset 5000017: expected 0x"), line);
            assertTrue(server.log().contains(line), server.log());
        }
    }

    /**
     * The kernel transport, but the first data connection flips one byte (XOR 0x40) at a stream offset after the
     * cookie, as a broken path would: the sender's own buffer is left alone.
     */
    static final class SpoilingTransport implements Transport {
        private final Transport inner;
        private final long badOffset;
        private int connects;

        SpoilingTransport(Transport inner, long badOffset) {
            this.inner = inner;
            this.badOffset = badOffset;
        }

        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public StreamListener listen(InetSocketAddress local, StreamOptions options) throws IOException {
            return inner.listen(local, options);
        }

        @Override
        public StreamConnection connect(InetSocketAddress remote, InetSocketAddress local, StreamOptions options,
                int timeoutMillis) throws IOException {
            StreamConnection c = inner.connect(remote, local, options, timeoutMillis);
            // The first connection is the control channel, the second stream 1 (cookie first).
            return ++connects == 2 ? new SpoilingConnection(c, Cookie.SIZE + badOffset) : c;
        }

        @Override
        public DatagramEndpoint bindDatagram(InetSocketAddress local, DatagramOptions options) throws IOException {
            return inner.bindDatagram(local, options);
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    static final class SpoilingConnection implements StreamConnection {
        private final StreamConnection inner;
        private final long target;
        private final MemorySegment scratch = Arena.ofAuto().allocate(1 << 20);
        private long written;

        SpoilingConnection(StreamConnection inner, long target) {
            this.inner = inner;
            this.target = target;
        }

        @Override
        public int write(MemorySegment src, long offset, int length, int timeoutMillis) throws IOException {
            if (target < written || target >= written + length) {
                int n = inner.write(src, offset, length, timeoutMillis);
                written += Math.max(0, n);
                return n;
            }
            int n = (int) Math.min(length, scratch.byteSize());
            MemorySegment.copy(src, offset, scratch, 0, n);
            if (target - written < n) {
                long at = target - written;
                scratch.set(ValueLayout.JAVA_BYTE, at, (byte) (scratch.get(ValueLayout.JAVA_BYTE, at) ^ 0x40));
            }
            int sent = inner.write(scratch, 0, n, timeoutMillis);
            written += Math.max(0, sent);
            return sent;
        }

        @Override
        public int read(MemorySegment dst, long offset, int length, int timeoutMillis) throws IOException {
            return inner.read(dst, offset, length, timeoutMillis);
        }

        @Override
        public void shutdownOutput() throws IOException {
            inner.shutdownOutput();
        }

        @Override
        public boolean tcpStats(TcpStats into) {
            return inner.tcpStats(into);
        }

        @Override
        public InetSocketAddress localAddress() {
            return inner.localAddress();
        }

        @Override
        public InetSocketAddress remoteAddress() {
            return inner.remoteAddress();
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
