package dev.tapir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Ctrl-C on a running client ends the test early with a full summary, as a user of iperf3 expects. */
class ClientInterruptTest {
    private static final Pattern SUMMARY = Pattern.compile("0\\.00-(\\d+\\.\\d+) +sec +(\\S+) (\\S+) .* (sender|receiver)\\n");

    @Test
    void ctrlCEndsTheTestAndPrintsBothSidesSummary() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        try (ChildProcess iperf3 = ChildProcess.start(List.of("/usr/bin/iperf3", "-s", "-1", "-p",
                Integer.toString(port)))) {
            ChildProcess client = null;
            for (int attempt = 0; attempt < 50; attempt++) {
                client = ChildProcess.tapir(List.of(), "client", "127.0.0.1", "-p", Integer.toString(port), "-t", "60",
                        "-b", "100M");
                // the first interval line means the test runs (a refused connect exits at once: retry)
                while (client.stdout().indexOf("0.00-1.00") < 0 && client.alive()) {
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
                assertEquals(130, running.await(15), running.stderr());
                String out = running.stdout();
                Matcher m = SUMMARY.matcher(out);
                int lines = 0;
                while (m.find()) {
                    lines++;
                    double seconds = Double.parseDouble(m.group(1));
                    assertTrue(seconds >= 1.0 && seconds < 10.0, "summary ends at " + seconds + " s: " + out);
                    assertTrue(Double.parseDouble(m.group(2)) > 0, out);
                }
                assertEquals(2, lines, "a sender and a receiver line: " + out);
                // the server saw a normal end (TEST_END), not a vanished client
                assertEquals(0, iperf3.await(10), iperf3.stdout());
                assertTrue(iperf3.stdout().contains("receiver"), iperf3.stdout());
            }
        }
    }
}
