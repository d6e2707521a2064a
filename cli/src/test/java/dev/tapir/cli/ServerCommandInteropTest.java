package dev.tapir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code tapir server} as an iperf3 user meets it: started with no address, read on its terminal. */
class ServerCommandInteropTest {
    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void awaitStdout(ChildProcess p, String text) throws Exception {
        for (int i = 0; i < 500 && !p.stdout().contains(text); i++) {
            Thread.sleep(20);
        }
        assertTrue(p.stdout().contains(text), "no '" + text + "' in: " + p.stdout() + p.stderr());
    }

    @Test
    void defaultServerTakesIpv6AndIpv4ClientsAndPrintsEachTestsColumns() throws Exception {
        String port = String.valueOf(freePort());
        try (ChildProcess server = ChildProcess.tapir(List.of(), "server", "-p", port)) {
            awaitStdout(server, "listening on " + port);
            // iperf3 -s listens on :: for both families; "iperf3 -c ::1" must not be refused
            ChildProcess.run(20, "/usr/bin/iperf3", "-c", "::1", "-p", port, "-t", "1");
            awaitStdout(server, "receiver");
            int tcpEnd = server.stdout().length();
            ChildProcess.run(20, "/usr/bin/iperf3", "-c", "127.0.0.1", "-p", port, "-u", "-b", "1M", "-l", "1000",
                    "-t", "1");
            awaitStdout(server, "(0%)  receiver");
            String out = server.stdout();
            String tcp = out.substring(0, tcpEnd);
            String udp = out.substring(tcpEnd);
            // addresses as iperf3 prints them: ::1, not Java's 0:0:0:0:0:0:0:1
            assertTrue(tcp.contains("Accepted connection from ::1, port "), tcp);
            assertTrue(tcp.contains("] local ::1 port " + port + " connected to ::1 port "), tcp);
            // a receiving server has no Retr/Cwnd to show
            assertTrue(tcp.contains("[ ID] Interval           Transfer     Bitrate\n"), tcp);
            assertFalse(tcp.contains("Cwnd"), tcp);
            assertTrue(udp.contains("Accepted connection from 127.0.0.1, port "), udp);
            assertTrue(udp.contains("local 127.0.0.1 port " + port + " connected to 127.0.0.1 port "), udp);
            // the UDP test's interval lines carry UDP receiver columns, not TCP's
            int header = udp.indexOf("[ ID] Interval           Transfer     Bitrate         Jitter    Lost/Total");
            int firstLine = udp.indexOf("sec ");
            assertTrue(header >= 0 && header < firstLine, udp);
            assertFalse(udp.contains("Retr"), udp);
            assertEquals(1, udp.split("Accepted connection").length - 1, udp);
        }
    }
}
