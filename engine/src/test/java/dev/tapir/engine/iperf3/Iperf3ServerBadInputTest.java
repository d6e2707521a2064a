package dev.tapir.engine.iperf3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tapir.engine.iperf3.Iperf3InteropTest.Iperf3Process;
import dev.tapir.engine.iperf3.Iperf3InteropTest.RunningServer;
import dev.tapir.engine.report.TestResult;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Misbehaving clients against the tapir iperf3 server: each case must cost one log line, free the test, and leave
 * the server serving a real iperf3 client normally afterwards.
 */
class Iperf3ServerBadInputTest {
    private static final byte[] COOKIE = "abcdefghijklmnopqrstuvwxyz2345672345\0".getBytes(StandardCharsets.US_ASCII);

    /** A hand-driven control connection. */
    private static final class Raw implements AutoCloseable {
        final Socket socket;
        final DataInputStream in;
        final DataOutputStream out;

        Raw(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(5_000);
            in = new DataInputStream(socket.getInputStream());
            out = new DataOutputStream(socket.getOutputStream());
        }

        void json(String text) throws IOException {
            byte[] b = text.getBytes(StandardCharsets.UTF_8);
            out.writeInt(b.length);
            out.write(b);
            out.flush();
        }

        /** Sends the cookie and {@code params}, and expects the server to ask for the data streams. */
        void requestTest(String params) throws IOException {
            out.write(COOKIE);
            assertEquals(ControlState.PARAM_EXCHANGE, in.readByte());
            json(params);
            assertEquals(ControlState.CREATE_STREAMS, in.readByte());
        }

        /** Connects the one TCP data stream of a requested test and waits until the server says it runs. */
        Socket openRunningTcpStream(int port) throws IOException {
            Socket data = new Socket("127.0.0.1", port);
            data.getOutputStream().write(COOKIE);
            assertEquals(ControlState.TEST_START, in.readByte());
            assertEquals(ControlState.TEST_RUNNING, in.readByte());
            return data;
        }

        /** True when the server closed the connection (possibly after more bytes). */
        boolean closedByServer() {
            try {
                while (in.read() >= 0) {
                    // skip whatever the server still sent
                }
                return true;
            } catch (IOException e) {
                return e.getMessage() != null && e.getMessage().contains("reset");
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** A real iperf3 client run that must complete against the server, and its figures on the server side. */
    private static void assertServesNormally(RunningServer server, int resultsBefore) throws Exception {
        try (var client = Iperf3Process.start("-c", "127.0.0.1", "-p", String.valueOf(server.port()), "-n", "4M",
                "-J")) {
            assertEquals(0, client.await(20));
            assertNull(client.json().get("error"), () -> Iperf3InteropTest.safeText(client) + server.log());
            Iperf3InteropTest.awaitResults(server, resultsBefore + 1);
            TestResult r = server.output.results.get(resultsBefore);
            assertEquals(4L * 1024 * 1024, r.sumReceived().bytes());
        }
        assertNoTestThreads();
    }

    private static void assertNoTestThreads() throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            boolean any = Thread.getAllStackTraces().keySet().stream()
                    .anyMatch(t -> t.getName().startsWith("tapir-iperf3-s") && t.isAlive());
            if (!any) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("test threads still alive after the test ended");
    }

    private static void awaitLog(RunningServer server, String fragment) throws InterruptedException {
        for (int i = 0; i < 300 && !server.log().contains(fragment); i++) {
            Thread.sleep(10);
        }
        assertTrue(server.log().contains(fragment), "log lacks \"" + fragment + "\": " + server.log());
    }

    @Test
    void badCookieOversizedLengthAndInvalidJson() throws Exception {
        try (var server = new RunningServer(Iperf3InteropTest.testServerOptions())) {
            try (Raw raw = new Raw(server.port())) {
                raw.out.write("NOT A COOKIE AT ALL, JUST 37 BYTES!!\0".getBytes(StandardCharsets.US_ASCII));
                assertTrue(raw.closedByServer());
            }
            awaitLog(server, "bad cookie");
            try (Raw raw = new Raw(server.port())) {
                raw.out.write(COOKIE);
                assertEquals(ControlState.PARAM_EXCHANGE, raw.in.readByte());
                raw.out.writeInt(0xFFFFFFFF);
                assertTrue(raw.closedByServer());
            }
            awaitLog(server, "length 4294967295 is out of range");
            try (Raw raw = new Raw(server.port())) {
                raw.out.write(COOKIE);
                assertEquals(ControlState.PARAM_EXCHANGE, raw.in.readByte());
                raw.json("{not json at all");
                assertTrue(raw.closedByServer());
            }
            awaitLog(server, "is not valid JSON");
            try (Raw raw = new Raw(server.port())) {
                raw.out.write(COOKIE);
                assertEquals(ControlState.PARAM_EXCHANGE, raw.in.readByte());
                raw.json("{\"tcp\":true,\"parallel\":1000}");
                assertEquals(ControlState.SERVER_ERROR, raw.in.readByte());
                assertEquals(114, raw.in.readInt());
                assertEquals(22, raw.in.readInt());
            }
            awaitLog(server, "bad parameters");
            // One line per failure, no stack trace.
            assertFalse(server.log().contains("\tat "), server.log());
            assertEquals(4, server.log().lines().count(), server.log());
            assertServesNormally(server, 0);
        }
    }

    @Test
    void clientDisconnectingAtEachStep() throws Exception {
        try (var server = new RunningServer(Iperf3InteropTest.testServerOptions())) {
            try (Raw raw = new Raw(server.port())) {
                raw.out.write(COOKIE, 0, 20); // truncated cookie
            }
            awaitLog(server, "while sending the cookie");
            try (Raw raw = new Raw(server.port())) {
                raw.out.write(COOKIE);
                raw.out.writeInt(100);
                raw.out.write(new byte[10]); // truncated JSON
            }
            awaitLog(server, "(10 of 100 bytes came)");
            try (Raw raw = new Raw(server.port())) {
                raw.requestTest("{\"tcp\":true}");
            }
            awaitLog(server, "closed the control connection while waiting for data connections");
            // Gone while the test runs.
            try (Raw raw = new Raw(server.port())) {
                raw.requestTest("{\"tcp\":true,\"time\":5}");
                try (Socket data = raw.openRunningTcpStream(server.port())) {
                    data.getOutputStream().write(new byte[100_000]);
                }
            }
            awaitLog(server, "closed the control connection while waiting for TEST_END");
            assertServesNormally(server, 0);
        }
    }

    @Test
    void unknownStateAndSilentClient() throws Exception {
        try (var server = new RunningServer(Iperf3InteropTest.testServerOptions())) {
            try (Raw raw = new Raw(server.port())) {
                raw.requestTest("{\"tcp\":true,\"time\":5}");
                try (Socket data = raw.openRunningTcpStream(server.port())) {
                    raw.out.write(99);
                    assertTrue(raw.closedByServer());
                }
            }
            awaitLog(server, "unexpected state unknown(99) during the test");
            try (Raw silent = new Raw(server.port())) {
                // The silent client holds the server (as in iperf3, which would wait forever) until the timeout.
                awaitLog(server, "timed out after 2000 ms waiting for the cookie");
                assertTrue(silent.closedByServer());
            }
            assertServesNormally(server, 0);
        }
    }

    @Test
    void busyServerDeniesSecondClientAndFinishesTheFirst() throws Exception {
        try (var server = new RunningServer(Iperf3InteropTest.testServerOptions());
                var first = Iperf3Process.start("-c", "127.0.0.1", "-p", String.valueOf(server.port()), "-t", "2",
                        "-J")) {
            Thread.sleep(700);
            try (Raw probe = new Raw(server.port())) {
                assertEquals(ControlState.ACCESS_DENIED, probe.in.readByte());
                assertTrue(probe.closedByServer());
            }
            try (var second = Iperf3Process.start("-c", "127.0.0.1", "-p", String.valueOf(server.port()), "-t", "1")) {
                assertEquals(1, second.await(10));
                assertTrue(second.text().contains("the server is busy running a test"), second.text());
            }
            assertEquals(0, first.await(20));
            assertNull(first.json().get("error"), Iperf3InteropTest.safeText(first));
            Iperf3InteropTest.awaitResults(server, 1);
            assertServesNormally(server, 1);
        }
    }

    @Test
    void garbageAndTruncatedUdpDatagramsAreDropped() throws Exception {
        try (var server = new RunningServer(Iperf3InteropTest.testServerOptions());
                Raw raw = new Raw(server.port());
                DatagramSocket udp = new DatagramSocket()) {
            raw.requestTest("{\"udp\":true,\"time\":1,\"len\":100}");
            InetSocketAddress to = new InetSocketAddress("127.0.0.1", server.port());
            udp.setSoTimeout(5_000);
            udp.send(new DatagramPacket(new byte[] {0x39, 0x38, 0x37, 0x36}, 4, to));
            DatagramPacket reply = new DatagramPacket(new byte[16], 16);
            udp.receive(reply);
            assertEquals(0x36373839, ByteBuffer.wrap(reply.getData()).getInt());
            assertEquals(ControlState.TEST_START, raw.in.readByte());
            assertEquals(ControlState.TEST_RUNNING, raw.in.readByte());
            for (int seq = 1; seq <= 3; seq++) {
                ByteBuffer d = ByteBuffer.allocate(100).putInt(7).putInt(seq * 1000).putInt(seq);
                udp.send(new DatagramPacket(d.array(), 100, to));
            }
            udp.send(new DatagramPacket(new byte[] {1, 2, 3, 4, 5}, 5, to)); // truncated
            udp.send(new DatagramPacket(new byte[12], 12, to)); // counter 0: garbage
            raw.out.write(ControlState.TEST_END);
            assertEquals(ControlState.EXCHANGE_RESULTS, raw.in.readByte());
            raw.json("{\"cpu_util_total\":0,\"cpu_util_user\":0,\"cpu_util_system\":0,\"sender_has_retransmits\":0,"
                    + "\"streams\":[{\"id\":1,\"bytes\":300,\"retransmits\":18446744073709551615,\"jitter\":0,"
                    + "\"errors\":0,\"packets\":3,\"start_time\":0,\"end_time\":1}]}");
            byte[] results = new byte[raw.in.readInt()];
            raw.in.readFully(results);
            var own = Iperf3Results.fromJson((com.fasterxml.jackson.databind.node.ObjectNode) ControlChannel.JSON
                    .readTree(results));
            assertEquals(300, own.stream(1).bytes());
            assertEquals(3, own.stream(1).packets());
            assertEquals(0, own.stream(1).errors());
            assertEquals(ControlState.DISPLAY_RESULTS, raw.in.readByte());
            raw.out.write(ControlState.IPERF_DONE);
            Iperf3InteropTest.awaitResults(server, 1);
            assertEquals(3, server.output.results.get(0).sumUdp().packets());
            assertServesNormally(server, 1);
        } catch (EOFException e) {
            throw new AssertionError("server closed early", e);
        }
    }
}
