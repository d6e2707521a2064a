package dev.tapir.engine.report;

import dev.tapir.engine.test.Protocol;
import java.util.List;

/**
 * Renders the model as iperf3 prints it for people: the connection lines, one line per stream per interval (plus a
 * {@code [SUM]} line when there are several streams), a separator, and the final sender/receiver lines; with
 * {@code --bidir} iperf3's role tags. Verbose extras are not rendered.
 */
public final class HumanReport {
    public static final String SEPARATOR = "- - - - - - - - - - - - - - - - - - - - - - - - -\n";
    public static final String DONE = "iperf Done.\n";
    private static final String HEADER = "[ ID] Interval           Transfer     Bitrate\n";
    private static final String RETRANS_HEADER = "[ ID] Interval           Transfer     Bitrate         Retr\n";
    private static final String RETRANS_CWND_HEADER =
            "[ ID] Interval           Transfer     Bitrate         Retr  Cwnd\n";
    private static final String UDP_HEADER =
            "[ ID] Interval           Transfer     Bitrate         Jitter    Lost/Total Datagrams\n";
    private static final String UDP_SENDER_HEADER = "[ ID] Interval           Transfer     Bitrate         Total Datagrams\n";

    private HumanReport() {
    }

    /** The lines before the first interval: who connects where, and each data connection. */
    public static String header(TestStart start) {
        StringBuilder out = new StringBuilder();
        if (start.client()) {
            out.append("Connecting to host ").append(start.peerHost()).append(", port ").append(start.peerPort())
                    .append('\n');
            if (start.reverse()) {
                out.append("Reverse mode, remote host ").append(start.peerHost()).append(" is sending\n");
            }
        } else {
            out.append("Accepted connection from ").append(start.peerHost()).append(", port ")
                    .append(start.peerPort()).append('\n');
        }
        for (Connection c : start.connected()) {
            out.append('[').append(Units.pad(String.valueOf(c.id()), 3)).append("] local ").append(c.localHost())
                    .append(" port ").append(c.localPort()).append(" connected to ").append(c.remoteHost())
                    .append(" port ").append(c.remotePort()).append('\n');
        }
        return out.toString();
    }

    /**
     * One interval's lines. The first interval of a test starts with the column header; later ones start with a
     * separator when there are several streams.
     *
     * @param senderHasRetransmits the sending side can tell retransmits (adds the Retr and Cwnd columns)
     */
    public static String interval(Protocol protocol, Interval interval, boolean first, boolean senderHasRetransmits) {
        return interval(protocol, interval, first, senderHasRetransmits, true);
    }

    /**
     * Like {@link #interval(Protocol, Interval, boolean, boolean)}; when the interval has streams both ways
     * ({@code --bidir}) each line carries iperf3's role tag ({@code [TX-C]}, {@code [RX-S]}...; {@code client} says
     * which side prints) and each direction with several streams gets its own {@code [SUM]}: one sum of both
     * directions would add what this side sent to what it received.
     */
    public static String interval(Protocol protocol, Interval interval, boolean first, boolean senderHasRetransmits,
            boolean client) {
        StringBuilder out = new StringBuilder();
        boolean sender = interval.sum().sender();
        boolean bidir = interval.streams().stream().anyMatch(IntervalSample::sender)
                && interval.streams().stream().anyMatch(s -> !s.sender());
        // several streams each way (-P): iperf3 counts -P, so --bidir alone has no separators
        boolean multi = interval.streams().size() > (bidir ? 2 : 1);
        if (first) {
            String header;
            if (protocol == Protocol.TCP) {
                header = senderHasRetransmits ? RETRANS_CWND_HEADER : HEADER;
            } else {
                header = sender ? UDP_SENDER_HEADER : UDP_HEADER;
            }
            out.append(bidir ? header.replace("[ ID]", "[ ID][Role]") : header);
        } else if (multi) {
            out.append(SEPARATOR);
        }
        for (IntervalSample s : interval.streams()) {
            out.append(line(bidir ? id(s.id()) + "][" + role(s.sender(), client) : id(s.id()), protocol, s,
                    senderHasRetransmits, true));
        }
        if (bidir) {
            for (boolean direction : new boolean[] {true, false}) {
                List<IntervalSample> those = interval.streams().stream().filter(s -> s.sender() == direction)
                        .toList();
                if (those.size() > 1) {
                    out.append(line("SUM][" + role(direction, client), protocol, IntervalSample.sumOf(those),
                            senderHasRetransmits, false));
                }
            }
        } else if (multi) {
            out.append(line("SUM", protocol, interval.sum(), senderHasRetransmits, false));
        }
        return out.toString();
    }

    /** iperf3's role tag: TX or RX, then C(lient) or S(erver). */
    private static String role(boolean sender, boolean client) {
        return (sender ? "TX-" : "RX-") + (client ? "C" : "S");
    }

    private static String line(String id, Protocol protocol, IntervalSample s, boolean senderHasRetransmits,
            boolean withCwnd) {
        String prefix = prefix(id, s.start(), s.end(), s.bytes(), s.bitsPerSecond());
        String omitted = s.omitted() ? "(omitted)" : "";
        if (protocol == Protocol.TCP) {
            if (senderHasRetransmits && s.sender()) {
                String retr = Units.pad(String.valueOf(Math.max(0, s.retransmits())), 3);
                if (withCwnd) {
                    return prefix + "  " + retr + "   " + Units.formatBytes(Math.max(0, s.sndCwnd())) + "       "
                            + omitted + "\n";
                }
                return prefix + "  " + retr + "             " + omitted + "\n";
            }
            return prefix + "                  " + omitted + "\n";
        }
        if (s.sender()) {
            return prefix + "  " + s.packets() + "  " + omitted + "\n";
        }
        return prefix + udpTail(s.jitterMillis(), s.lostPackets(), s.packets(), s.lostPercent()) + omitted + "\n";
    }

    /**
     * The final lines: separator, column header, each stream's sender and receiver lines, the sums. A server prints
     * only its own side of each stream. With {@code --bidir} each direction comes with its role tag and its own sums,
     * the client's streams first (as iperf3 prints them).
     */
    public static String summary(TestResult result) {
        StringBuilder out = new StringBuilder(SEPARATOR);
        boolean tcp = result.protocol() == Protocol.TCP;
        boolean client = result.start().client();
        // a server has retransmits only for what it sent itself (iperf3's server shows no Retr column otherwise)
        boolean retrans = tcp && result.streams().stream()
                .anyMatch(s -> (client || s.sentHere()) && s.tcp().retransmits() >= 0);
        String header = tcp ? (retrans ? RETRANS_HEADER : HEADER) : UDP_HEADER;
        if (result.bidirectional()) {
            out.append(header.replace("[ ID]", "[ ID][Role]"));
            for (boolean clientSends : new boolean[] {true, false}) {
                boolean sentHere = clientSends == client;
                direction(out, result.direction(clientSends), "][" + role(sentHere, client), retrans);
            }
        } else {
            out.append(header);
            direction(out, result, "", retrans);
        }
        if (result.verification() != null) {
            out.append(result.verification().line()).append('\n');
        }
        return out.toString();
    }

    /** The lines of streams that all go one way, and their sums when there are several; {@code tag} follows the id. */
    private static void direction(StringBuilder out, TestResult part, String tag, boolean retrans) {
        boolean tcp = part.protocol() == Protocol.TCP;
        boolean client = part.start().client();
        for (StreamResult s : part.streams()) {
            // A server prints only its own side: iperf3 omits the line whose figures it has not got yet.
            boolean printSent = client || s.sentHere();
            boolean printReceived = client || !s.sentHere();
            String id = id(s.id()) + tag;
            Transfer sent = s.sent();
            Transfer received = s.received();
            if (tcp) {
                if (printSent) {
                    out.append(tcpSender(id, sent, retrans ? s.tcp().retransmits() : -1));
                }
                // an iperf 2 server tells its TCP client nothing: no receiver line rather than one of zeros
                if (printReceived && !received.equals(Transfer.NONE)) {
                    out.append(tcpReceiver(id, received));
                }
            } else {
                // null when the peer's figures never came (an iperf 2 server that sent no report)
                UdpFigures udp = s.udp();
                if (printSent) {
                    out.append(udpSender(id, sent, s.sentPackets()));
                    if (udp != null && udp.outOfOrder() > 0) {
                        out.append(outOfOrder(sent.start(), sent.seconds(), udp.outOfOrder()));
                    }
                }
                if (printReceived && udp != null) {
                    out.append(udpReceiver(id, received, udp));
                }
            }
        }
        if (part.streams().size() < 2) {
            return;
        }
        boolean sentHere = part.streams().get(0).sentHere();
        boolean printSent = client || sentHere;
        boolean printReceived = client || !sentHere;
        String id = "SUM" + tag;
        if (tcp) {
            if (printSent) {
                out.append(tcpSender(id, part.sumSent(), retrans ? part.sumRetransmits() : -1));
            }
            if (printReceived) {
                out.append(tcpReceiver(id, part.sumReceived()));
            }
        } else {
            UdpFigures udp = part.sumUdp();
            if (printSent) {
                out.append(udpSender(id, part.sumSent(), part.sumSentPackets()));
            }
            if (printReceived && udp != null) {
                out.append(udpReceiver(id, part.sumReceived(), udp));
            }
        }
    }

    /** A TCP sender line; {@code retransmits} below 0 leaves the Retr column empty. */
    private static String tcpSender(String id, Transfer sent, long retransmits) {
        String prefix = prefix(id, sent.start(), sent.seconds(), sent.bytes(), rate(sent.bytes(), sent.seconds()));
        return retransmits >= 0
                ? prefix + "  " + Units.pad(String.valueOf(retransmits), 3) + "             sender\n"
                : prefix + "                  sender\n";
    }

    private static String tcpReceiver(String id, Transfer received) {
        return prefix(id, received.start(), received.end(), received.bytes(), rate(received.bytes(), received.end()))
                + "                  receiver\n";
    }

    private static String udpSender(String id, Transfer sent, long packets) {
        return prefix(id, sent.start(), sent.seconds(), sent.bytes(), rate(sent.bytes(), sent.seconds()))
                + udpTail(0, 0, packets, 0) + "sender\n";
    }

    private static String udpReceiver(String id, Transfer received, UdpFigures udp) {
        return prefix(id, received.start(), received.end(), received.bytes(), rate(received.bytes(), received.end()))
                + udpTail(udp.jitterMillis(), udp.lostPackets(), udp.packets(), udp.lostPercent()) + "receiver\n";
    }

    /** The whole report: header, intervals, summary, and on the client the closing line. */
    public static String render(TestResult result, boolean senderHasRetransmits) {
        StringBuilder out = new StringBuilder(header(result.start()));
        boolean first = true;
        for (Interval interval : result.intervals()) {
            out.append(interval(result.protocol(), interval, first, senderHasRetransmits, result.start().client()));
            first = false;
        }
        out.append(summary(result));
        if (result.start().client()) {
            out.append('\n').append(DONE);
        }
        return out.toString();
    }

    private static String id(int id) {
        return Units.pad(String.valueOf(id), 3);
    }

    private static double rate(long bytes, double seconds) {
        return seconds > 0 ? bytes * 8 / seconds : 0;
    }

    /** {@code [ID] start-end sec  transfer  bitrate} as iperf3's {@code "[%3d] %6.2f-%-6.2f sec  %ss  %ss/sec"}. */
    private static String prefix(String id, double start, double end, long bytes, double bitsPerSecond) {
        return "[" + id + "] " + Units.pad(Units.fixed(start, 2), 6) + "-" + Units.padRight(Units.fixed(end, 2), 6)
                + " sec  " + Units.formatBytes(bytes) + "  " + Units.formatBitsPerSecond(bitsPerSecond);
    }

    /** {@code "  %5.3f ms  %d/%d (%.2g%%)  "} */
    private static String udpTail(double jitterMillis, long lost, long packets, double lostPercent) {
        return "  " + Units.pad(Units.fixed(jitterMillis, 3), 5) + " ms  " + lost + "/" + packets + " ("
                + Units.general(lostPercent, 2) + "%)  ";
    }

    private static String outOfOrder(double start, double end, long count) {
        return "[SUM] " + Units.pad(Units.fixed(start, 1), 4) + "-" + Units.pad(Units.fixed(end, 1), 4) + " sec  "
                + count + " datagrams received out-of-order\n";
    }
}
