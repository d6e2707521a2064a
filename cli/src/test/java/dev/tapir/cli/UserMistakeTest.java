package dev.tapir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each mistake a user can make gives one clear line on stderr and a non-zero exit, never a stack trace. */
class UserMistakeTest {
    private record Outcome(int code, String err) {
    }

    private static Outcome run(String... args) {
        PrintStream saved = System.err;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new Outcome(code, bytes.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(saved);
        }
    }

    private static void assertOneLine(Outcome outcome, String expected) {
        assertTrue(outcome.code() != 0, "exit code must be non-zero");
        assertTrue(outcome.err().startsWith("tapir: "), outcome.err());
        assertTrue(outcome.err().contains(expected), outcome.err());
        assertTrue(!outcome.err().contains("\tat "), "no stack trace: " + outcome.err());
    }

    @Test
    void refusedConnection() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Outcome o = run("client", "127.0.0.1", "-p", Integer.toString(port), "-t", "1");
        assertOneLine(o, "connection refused");
        assertEquals(1, o.err().strip().lines().count());
    }

    @Test
    void unknownHost() {
        Outcome o = run("client", "no-such-host.invalid", "-t", "1");
        assertOneLine(o, "unknown host no-such-host.invalid");
        assertEquals(1, o.err().strip().lines().count());
    }

    @Test
    void badFlagValues() {
        assertOneLine(run("client", "127.0.0.1", "-l", "abc"), "invalid size 'abc'");
        assertOneLine(run("client", "127.0.0.1", "-P", "0"), "parallel streams (-P) must be between 1 and 128");
        assertOneLine(run("client", "127.0.0.1", "-t", "1", "-n", "1M"), "give -t, or -n/-k, not both");
        assertOneLine(run("client", "127.0.0.1", "--bogus"), "Unknown option: '--bogus'");
        assertOneLine(run("client", "127.0.0.1", "-O", "601"), "-O must be between 0 and 600 seconds, got 601");
        assertOneLine(run("client", "127.0.0.1", "-O", "2", "--iperf2"), "-O needs the iperf3 protocol (not --iperf2)");
    }

    @Test
    void unknownCongestionAlgorithm() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        try (ChildProcess iperf3 = ChildProcess.start(List.of("/usr/bin/iperf3", "-s", "-1", "-p",
                Integer.toString(port)))) {
            Outcome o = null;
            for (int i = 0; i < 100 && (o == null || o.err().contains("connection refused")); i++) {
                Thread.sleep(20); // until iperf3 listens
                o = run("client", "127.0.0.1", "-p", Integer.toString(port), "-C", "no-such-cc", "-t", "1");
            }
            assertOneLine(o, "this host has no such TCP congestion control algorithm (-C; see "
                    + "/proc/sys/net/ipv4/tcp_available_congestion_control) [setsockopt(TCP_CONGESTION): ENOENT]");
            assertEquals(1, o.err().strip().lines().count());
        }
    }

    @Test
    void portInUse() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Outcome o = run("server", "-B", "127.0.0.1", "-p", Integer.toString(taken.getLocalPort()), "-1");
            assertOneLine(o, "address already in use");
            assertEquals(1, o.err().strip().lines().count());
        }
    }
}
