package dev.tapir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tapir.engine.report.CpuUtilization;
import dev.tapir.engine.report.TestResult;
import dev.tapir.engine.report.Verification;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code --verify} on the command line: the report line, the -J field, the refusals and the failing exits. */
class VerifyCommandTest {
    private record Outcome(int code, String out, String err) {
    }

    /** Runs tapir with stdout and stderr captured (the whole process's: a server thread's output lands here too). */
    private static Outcome run(String... args) {
        PrintStream savedOut = System.out;
        PrintStream savedErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void memlinkPrintsTheVerifyLineAndTheJsonField() throws Exception {
        Outcome human = run("memlink", "--verify", "--verify-seed", "99", "-n", "16M", "-i", "0");
        assertEquals(0, human.code(), human.err());
        assertTrue(human.out().contains("\nverify: 16777216 bytes checked, no mismatch (seed 99)\n"), human.out());

        Outcome json = run("memlink", "--verify", "--verify-seed", "-5", "-n", "4M", "-i", "0", "-J", "--loss", "1");
        assertEquals(0, json.code(), json.err());
        JsonNode verify = new ObjectMapper().readTree(json.out()).get("end").get("tapir_verify");
        assertEquals(-5, verify.get("seed").longValue());
        assertEquals(4L * 1024 * 1024, verify.get("bytes_checked").longValue());
        assertFalse(verify.get("mismatch").booleanValue());
    }

    @Test
    void clientAndServerBothReportWhatWasChecked() throws Exception {
        int port = freePort();
        PrintStream savedOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // The server thread prints its report to this process's stdout too, so capture before it starts.
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        Thread server = Thread.ofPlatform().start(() -> Main.run("server", "-1", "-B", "127.0.0.1", "-p",
                Integer.toString(port), "-i", "0"));
        try {
            int code = -1;
            for (int attempt = 0; attempt < 50 && code != 0; attempt++) {
                code = Main.run("client", "127.0.0.1", "-p", Integer.toString(port), "--verify", "--verify-seed", "7",
                        "-n", "8M", "-R", "-i", "0");
                if (code != 0) {
                    Thread.sleep(100); // the server may not listen yet
                }
            }
            assertEquals(0, code);
            server.join(10_000);
        } finally {
            System.setOut(savedOut);
            server.join(10_000);
        }
        String line = "verify: 8388608 bytes checked, no mismatch (seed 7)";
        String printed = out.toString(StandardCharsets.UTF_8);
        assertEquals(2, printed.lines().filter(line::equals).count(), printed);
    }

    @Test
    void aRealIperf3ServerFailsTheRunWithOneLine() throws Exception {
        int port = freePort();
        Path log = Files.createTempFile("iperf3-", ".out");
        Process iperf3 = new ProcessBuilder("/usr/bin/iperf3", "-s", "-1", "-p", Integer.toString(port))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            String listening = String.format(":%04X 00000000000000000000000000000000:0000 0A", port);
            for (int i = 0; i < 250 && !Files.readString(Path.of("/proc/net/tcp6")).contains(listening)
                    && !Files.readString(Path.of("/proc/net/tcp")).contains(String.format(":%04X 00000000:0000 0A",
                            port)); i++) {
                Thread.sleep(20);
            }
            Outcome o = run("client", "127.0.0.1", "-p", Integer.toString(port), "--verify", "-n", "2M", "-i", "0");
            assertEquals(1, o.code());
            assertEquals("tapir: --verify: the server did not verify the data (it is not a tapir server; verify needs "
                    + "tapir at both ends)", o.err().strip());
            assertTrue(iperf3.waitFor(10, TimeUnit.SECONDS));
            assertEquals(0, iperf3.exitValue(), Files.readString(log));
        } finally {
            iperf3.destroyForcibly();
            Files.deleteIfExists(log);
        }
    }

    @Test
    void refusalsAreOneLine() {
        Outcome iperf2 = run("client", "127.0.0.1", "--iperf2", "--verify", "-t", "1");
        assertEquals(1, iperf2.code());
        assertEquals("tapir: --verify needs the iperf3 protocol: iperf 2's has no room to ask the server to check",
                iperf2.err().strip());
        Outcome seedAlone = run("client", "127.0.0.1", "--verify-seed", "3", "-t", "1");
        assertEquals(1, seedAlone.code());
        assertEquals("tapir: --verify-seed goes with --verify", seedAlone.err().strip());
    }

    @Test
    void aMismatchBecomesTheFailingLine() {
        TestResult failed = new TestResult(null, List.of(), List.of(), true, CpuUtilization.NONE, null, null,
                new Verification(11, 1_000_000, 3, 654_321, 0x5a, 0x1a));
        UserError e = assertThrows(UserError.class, () -> TestOptions.requireVerified(failed));
        assertEquals("verify: mismatch in stream 3 at byte offset 654321: expected 0x5a, got 0x1a (1000000 bytes "
                + "checked, seed 11)", e.getMessage());
        assertEquals(e.getMessage(), UserMessages.describe(e));
        TestOptions.requireVerified(new TestResult(null, List.of(), List.of(), true, CpuUtilization.NONE, null, null,
                Verification.clean(11, 5)));
    }
}
