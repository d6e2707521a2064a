package dev.tapir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Ctrl-C on a running client ends the test early with a full summary, as a user of iperf3 expects. */
class ClientInterruptTest {
    private static final Pattern SUMMARY =
            Pattern.compile("0\\.00-(\\d+\\.\\d+) +sec +(\\S+) (\\S+) .* (sender|receiver)\\n");

    @Test
    void ctrlCEndsAnIperf3TestWithBothSidesSummary() throws Exception {
        int port = freePort();
        try (ChildProcess iperf3 = ChildProcess.start(List.of("/usr/bin/iperf3", "-s", "-1", "-p",
                Integer.toString(port)))) {
            String out = interruptRunningClient(port, "-b", "100M");
            assertEquals(2, summaryLines(out), "a sender and a receiver line: " + out);
            // the server saw a normal end (TEST_END), not a vanished client
            assertEquals(0, iperf3.await(10), iperf3.stdout());
            assertTrue(iperf3.stdout().contains("receiver"), iperf3.stdout());
        }
    }

    @Test
    void ctrlCEndsAnIperf2TestWithTheServersReport() throws Exception {
        int port = freePort();
        try (ChildProcess iperf2 = ChildProcess.start(List.of("/usr/bin/iperf", "-s", "-u", "-p",
                Integer.toString(port)))) {
            String out = interruptRunningClient(port, "--iperf2", "-u", "-b", "10M");
            // the sender's line and the one from the server's report, which it sends after the FIN
            assertEquals(2, summaryLines(out), "a sender and a receiver line: " + out);
            assertTrue(out.contains("(0%)  receiver"), out);
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /**
     * Starts a 60 s client with {@code extra} arguments, sends it SIGINT once its first interval is out, and returns
     * what it printed.
     */
    private static String interruptRunningClient(int port, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("client", "127.0.0.1", "-p", Integer.toString(port), "-t", "60"));
        args.addAll(List.of(extra));
        ChildProcess client = null;
        for (int attempt = 0; attempt < 50; attempt++) {
            // SIGINT back to its default first: a shell without job control starts background jobs (as CI may
            // start this build) with it ignored, and the JVM then keeps ignoring it
            client = ChildProcess.tapir(List.of("env", "--default-signal=INT"), args.toArray(String[]::new));
            // the first interval line means the test runs (a refused connect exits at once: retry)
            for (int i = 0; i < 500 && !client.stdout().contains("0.00-1.00") && client.alive(); i++) {
                Thread.sleep(20);
            }
            if (client.stdout().contains("0.00-1.00")) {
                break;
            }
            client.close();
            Thread.sleep(100);
        }
        try (ChildProcess running = client) {
            ChildProcess.run(5, "kill", "-INT", Long.toString(running.pid()));
            assertEquals(130, running.await(15), running.stdout() + running.stderr());
            return running.stdout();
        }
    }

    /** Counts the summary lines, each of which must cover the shortened test (not the 60 s asked for). */
    private static int summaryLines(String out) {
        Matcher m = SUMMARY.matcher(out);
        int lines = 0;
        while (m.find()) {
            lines++;
            double seconds = Double.parseDouble(m.group(1));
            assertTrue(seconds >= 1.0 && seconds < 10.0, "summary ends at " + seconds + " s: " + out);
            assertTrue(Double.parseDouble(m.group(2)) > 0, out);
        }
        return lines;
    }
}
