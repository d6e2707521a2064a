package dev.tapir.engine.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tapir.engine.test.Protocol;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders the model in iperf3's {@code -J} schema (start / intervals / end), with iperf3's key order, and prints it
 * the way iperf3's cJSON does (tabs, {@code "key":<TAB>value}, iperf3's number rule), so tools that parse iperf3's
 * JSON parse tapir's.
 */
public final class JsonReport {
    /** The key of {@link #verification} in tapir's JSON (-J output, iperf3 parameters and results). */
    public static final String VERIFY_KEY = "tapir_verify";

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** The UDP figures of a stream whose receiver never reported (an iperf 2 server that sent no report). */
    private static final UdpFigures NO_UDP_REPORT = new UdpFigures(0, 0, 0, 0);
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

    private JsonReport() {
    }

    /** The whole document. */
    public static ObjectNode build(TestResult result, boolean senderHasRetransmits) {
        ObjectNode root = NODES.objectNode();
        root.set("start", start(result.start()));
        ArrayNode intervals = root.putArray("intervals");
        for (Interval interval : result.intervals()) {
            intervals.add(interval(result.protocol(), interval, senderHasRetransmits,
                    result.bidirectional() ? result.start().client() : null));
        }
        root.set("end", end(result, senderHasRetransmits));
        return root;
    }

    /** {@link #build} printed as iperf3 prints it, with the final newline. */
    public static String render(TestResult result, boolean senderHasRetransmits) {
        return CJson.print(build(result, senderHasRetransmits)) + "\n";
    }

    static ObjectNode start(TestStart s) {
        ObjectNode start = NODES.objectNode();
        ArrayNode connected = start.putArray("connected");
        for (Connection c : s.connected()) {
            ObjectNode o = connected.addObject();
            o.put("socket", c.id());
            o.put("local_host", c.localHost());
            o.put("local_port", c.localPort());
            o.put("remote_host", c.remoteHost());
            o.put("remote_port", c.remotePort());
        }
        start.put("version", s.version());
        start.put("system_info", s.systemInfo());
        if (!s.client()) {
            buffers(start, s);
        }
        ObjectNode timestamp = start.putObject("timestamp");
        timestamp.put("time", TIME.format(Instant.ofEpochSecond(s.timeSecs())));
        timestamp.put("timesecs", s.timeSecs());
        ObjectNode peer = start.putObject(s.client() ? "connecting_to" : "accepted_connection");
        peer.put("host", s.peerHost());
        peer.put("port", s.peerPort());
        start.put("cookie", s.cookie());
        if (s.protocol() == Protocol.TCP) {
            start.put("tcp_mss_default", s.tcpMssDefault());
        }
        start.put("target_bitrate", s.targetBitrate());
        if (s.client()) {
            buffers(start, s);
        }
        ObjectNode test = start.putObject("test_start");
        test.put("protocol", s.protocol().name());
        test.put("num_streams", s.numStreams());
        test.put("blksize", s.blksize());
        test.put("omit", s.omit());
        test.put("duration", s.durationSeconds());
        test.put("bytes", s.bytes());
        test.put("blocks", s.blocks());
        test.put("reverse", s.reverse() ? 1 : 0);
        test.put("tos", s.tos());
        test.put("target_bitrate", s.targetBitrate());
        return start;
    }

    private static void buffers(ObjectNode start, TestStart s) {
        start.put("sock_bufsize", s.sockBufsize());
        start.put("sndbuf_actual", s.sndbufActual());
        start.put("rcvbuf_actual", s.rcvbufActual());
    }

    /**
     * One interval. With {@code --bidir} ({@code bidirClient} says which side writes it; null otherwise) the sum
     * covers the client's streams and {@code sum_bidir_reverse} the server's, as iperf3 writes them.
     */
    static ObjectNode interval(Protocol protocol, Interval interval, boolean senderHasRetransmits,
            Boolean bidirClient) {
        ObjectNode o = NODES.objectNode();
        ArrayNode streams = o.putArray("streams");
        for (IntervalSample s : interval.streams()) {
            ObjectNode stream = streams.addObject();
            stream.put("socket", s.id());
            sample(stream, protocol, s, senderHasRetransmits, true);
        }
        if (bidirClient == null) {
            sample(o.putObject("sum"), protocol, interval.sum(), senderHasRetransmits, false);
            return o;
        }
        // on the client the client's streams are the ones it sends, on the server the ones it receives
        for (boolean clientStreams : new boolean[] {true, false}) {
            boolean sentHere = clientStreams == bidirClient;
            List<IntervalSample> those = interval.streams().stream().filter(s -> s.sender() == sentHere).toList();
            if (!those.isEmpty()) {
                sample(o.putObject(clientStreams ? "sum" : "sum_bidir_reverse"), protocol,
                        IntervalSample.sumOf(those), senderHasRetransmits, false);
            }
        }
        return o;
    }

    private static void sample(ObjectNode o, Protocol protocol, IntervalSample s, boolean senderHasRetransmits,
            boolean perStream) {
        o.put("start", micros(s.start()));
        o.put("end", micros(s.end()));
        // iperf3 keeps an interval's duration as a float, and divides by that float.
        double seconds = (float) s.seconds();
        o.put("seconds", seconds);
        o.put("bytes", s.bytes());
        o.put("bits_per_second", rate(s.bytes(), seconds));
        if (protocol == Protocol.TCP) {
            if (senderHasRetransmits && s.sender()) {
                o.put("retransmits", s.retransmits());
                if (perStream) {
                    o.put("snd_cwnd", s.sndCwnd());
                    o.put("snd_wnd", s.sndWnd());
                    o.put("rtt", s.rttMicros());
                    o.put("rttvar", s.rttVarMicros());
                    o.put("pmtu", s.pmtu());
                }
            }
        } else if (s.sender()) {
            o.put("packets", s.packets());
        } else {
            o.put("jitter_ms", s.jitterMillis());
            o.put("lost_packets", s.lostPackets());
            o.put("packets", s.packets());
            o.put("lost_percent", s.lostPercent());
        }
        o.put("omitted", s.omitted());
        o.put("sender", s.sender());
    }

    /**
     * The end section. With {@code --bidir} the sums cover the client's streams and the {@code _bidir_reverse} sums
     * the server's, and each stream says whether this side sent it, as iperf3 writes them.
     */
    static ObjectNode end(TestResult r, boolean senderHasRetransmits) {
        ObjectNode end = NODES.objectNode();
        ArrayNode streams = end.putArray("streams");
        boolean local = r.localSender();
        boolean bidir = r.bidirectional();
        boolean tcp = r.protocol() == Protocol.TCP;
        // a client writes the sender's TCP figures whichever side sent (in -R the server's retransmits, as 3.12)
        boolean client = r.start().client();
        for (StreamResult s : r.streams()) {
            boolean sender = bidir ? s.sentHere() : local;
            if (tcp) {
                ObjectNode stream = streams.addObject();
                ObjectNode sent = stream.putObject("sender");
                sentTransfer(sent, s.id(), s.sent());
                if (senderHasRetransmits && (local || s.sentHere() || client)) {
                    TcpFigures t = s.tcp();
                    sent.put("retransmits", t.retransmits());
                    sent.put("max_snd_cwnd", t.maxSndCwnd());
                    sent.put("max_snd_wnd", t.maxSndWnd());
                    sent.put("max_rtt", t.maxRttMicros());
                    sent.put("min_rtt", t.minRttMicros());
                    sent.put("mean_rtt", t.meanRttMicros());
                }
                sent.put("sender", sender);
                ObjectNode received = stream.putObject("receiver");
                // iperf3 3.12 reports the receiver's seconds as the sender's duration.
                transfer(received, s.id(), s.received().start(), s.received().end(), s.sent().seconds(),
                        s.received().bytes(), rate(s.received().bytes(), s.received().end()));
                received.put("sender", sender);
            } else {
                ObjectNode udp = streams.addObject().putObject("udp");
                UdpFigures u = s.udp() != null ? s.udp() : NO_UDP_REPORT;
                long packets = s.sentPackets() > 0 ? s.sentPackets() : u.packets();
                sentTransfer(udp, s.id(), s.sent());
                udpFigures(udp, u.jitterMillis(), u.lostPackets(), packets);
                udp.put("out_of_order", u.outOfOrder());
                udp.put("sender", sender);
            }
        }
        if (bidir) {
            boolean clientSide = r.start().client();
            sums(end, "", r.direction(true), clientSide, senderHasRetransmits && (local || clientSide));
            sums(end, "_bidir_reverse", r.direction(false), !clientSide, senderHasRetransmits && (local || !clientSide));
        } else {
            sums(end, "", r, local, senderHasRetransmits && (local || client));
        }
        CpuUtilization c = r.cpu();
        ObjectNode cpu = end.putObject("cpu_utilization_percent");
        cpu.put("host_total", c.hostTotal());
        cpu.put("host_user", c.hostUser());
        cpu.put("host_system", c.hostSystem());
        cpu.put("remote_total", c.remoteTotal());
        cpu.put("remote_user", c.remoteUser());
        cpu.put("remote_system", c.remoteSystem());
        if (r.protocol() == Protocol.TCP) {
            if (r.senderCongestion() != null) {
                end.put("sender_tcp_congestion", r.senderCongestion());
            }
            if (r.receiverCongestion() != null) {
                end.put("receiver_tcp_congestion", r.receiverCongestion());
            }
        }
        if (r.verification() != null) {
            // tapir's own key: iperf3 readers ignore it.
            end.set(VERIFY_KEY, verification(r.verification()));
        }
        return end;
    }

    /**
     * {@code sum_sent} and {@code sum_received} (UDP: also {@code sum}) of {@code part}'s streams, each key with
     * {@code suffix}; {@code sender} says whether this side sent them.
     */
    private static void sums(ObjectNode end, String suffix, TestResult part, boolean sender, boolean retransmits) {
        Transfer sumSent = part.sumSent();
        Transfer sumReceived = part.sumReceived();
        boolean local = part.localSender();
        if (part.protocol() == Protocol.TCP) {
            ObjectNode sent = end.putObject("sum_sent" + suffix);
            sentTransfer(sent, -1, sumSent);
            if (retransmits) {
                sent.put("retransmits", part.sumRetransmits());
            }
            sent.put("sender", sender);
            ObjectNode received = end.putObject("sum_received" + suffix);
            receivedSumTransfer(received, sumReceived);
            received.put("sender", sender);
            return;
        }
        UdpFigures u = part.sumUdp() != null ? part.sumUdp() : NO_UDP_REPORT;
        long sentPackets = part.sumSentPackets();
        ObjectNode sum = end.putObject("sum" + suffix);
        transfer(sum, -1, sumSent.start(), sumReceived.end(), sumReceived.end(), sumSent.bytes(),
                rate(sumSent.bytes(), sumSent.seconds()));
        udpFigures(sum, u.jitterMillis(), u.lostPackets(), sentPackets > 0 ? sentPackets : u.packets());
        sum.put("sender", sender);
        // iperf3 3.12 marks sum_sent with the test's direction and sum_received as not sent, in both directions
        ObjectNode sent = end.putObject("sum_sent" + suffix);
        sentTransfer(sent, -1, sumSent);
        udpFigures(sent, 0, 0, sentPackets);
        sent.put("sender", local);
        ObjectNode received = end.putObject("sum_received" + suffix);
        receivedSumTransfer(received, sumReceived);
        udpFigures(received, u.jitterMillis(), u.lostPackets(), u.packets());
        received.put("sender", false);
    }

    /**
     * {@code --verify}'s figures as tapir writes them in -J output and in the results it exchanges with its peer; where
     * the first mismatch was only when there was one (iperf3's printer shows -1 as 2^64-1).
     */
    public static ObjectNode verification(Verification v) {
        ObjectNode verify = NODES.objectNode();
        verify.put("seed", v.seed());
        verify.put("bytes_checked", v.bytesChecked());
        verify.put("mismatch", v.failed());
        if (v.failed()) {
            verify.put("stream", v.stream());
            verify.put("first_bad_offset", v.firstBadOffset());
            verify.put("expected", v.expected());
            verify.put("actual", v.actual());
        }
        return verify;
    }

    /** A sender's side: its own time span and rate; {@code socket} below 0 for a sum. */
    private static void sentTransfer(ObjectNode o, int socket, Transfer sent) {
        transfer(o, socket, sent.start(), sent.seconds(), sent.seconds(), sent.bytes(),
                rate(sent.bytes(), sent.seconds()));
    }

    /** A receiver's sum: from its start to its end. */
    private static void receivedSumTransfer(ObjectNode o, Transfer received) {
        transfer(o, -1, received.start(), received.end(), received.end(), received.bytes(),
                rate(received.bytes(), received.end()));
    }

    private static void transfer(ObjectNode o, int socket, double start, double end, double seconds, long bytes,
            double bitsPerSecond) {
        if (socket >= 0) {
            o.put("socket", socket);
        }
        o.put("start", micros(start));
        o.put("end", micros(end));
        o.put("seconds", micros(seconds));
        o.put("bytes", bytes);
        o.put("bits_per_second", bitsPerSecond);
    }

    private static void udpFigures(ObjectNode o, double jitterMillis, long lost, long packets) {
        o.put("jitter_ms", jitterMillis);
        o.put("lost_packets", lost);
        o.put("packets", packets);
        o.put("lost_percent", packets > 0 ? 100.0 * lost / packets : 0.0);
    }

    private static double rate(long bytes, double seconds) {
        return seconds > 0 ? bytes * 8 / seconds : 0;
    }

    /** iperf3 takes times from timevals: whole microseconds. */
    private static double micros(double seconds) {
        return Math.round(seconds * 1e6) / 1e6;
    }

    /** cJSON's formatted printer as iperf3 3.12 builds it. */
    public static final class CJson {
        private CJson() {
        }

        public static String print(JsonNode node) {
            StringBuilder out = new StringBuilder();
            value(out, node, 1);
            return out.toString();
        }

        /** The control channel's compact form: no whitespace at all. */
        public static String printUnformatted(JsonNode node) {
            StringBuilder out = new StringBuilder();
            compact(out, node);
            return out.toString();
        }

        private static void value(StringBuilder out, JsonNode node, int depth) {
            if (node.isObject()) {
                out.append("{\n");
                Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
                while (fields.hasNext()) {
                    Map.Entry<String, JsonNode> field = fields.next();
                    out.append("\t".repeat(depth));
                    string(out, field.getKey());
                    out.append(":\t");
                    value(out, field.getValue(), depth + 1);
                    if (fields.hasNext()) {
                        out.append(',');
                    }
                    out.append('\n');
                }
                out.append("\t".repeat(depth - 1)).append('}');
            } else if (node.isArray()) {
                out.append('[');
                for (int i = 0; i < node.size(); i++) {
                    if (i > 0) {
                        out.append(", ");
                    }
                    value(out, node.get(i), depth + 1);
                }
                out.append(']');
            } else {
                scalar(out, node);
            }
        }

        private static void compact(StringBuilder out, JsonNode node) {
            if (node.isObject()) {
                out.append('{');
                Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
                while (fields.hasNext()) {
                    Map.Entry<String, JsonNode> field = fields.next();
                    string(out, field.getKey());
                    out.append(':');
                    compact(out, field.getValue());
                    if (fields.hasNext()) {
                        out.append(',');
                    }
                }
                out.append('}');
            } else if (node.isArray()) {
                out.append('[');
                for (int i = 0; i < node.size(); i++) {
                    if (i > 0) {
                        out.append(',');
                    }
                    compact(out, node.get(i));
                }
                out.append(']');
            } else {
                scalar(out, node);
            }
        }

        private static void scalar(StringBuilder out, JsonNode node) {
            if (node.isNumber()) {
                out.append(number(node.doubleValue()));
            } else if (node.isBoolean()) {
                out.append(node.booleanValue());
            } else if (node.isNull()) {
                out.append("null");
            } else {
                string(out, node.asText());
            }
        }

        /**
         * iperf3's cJSON number rule: a double equal to its int64 value prints as that int64 read unsigned (so -1
         * prints as 18446744073709551615); otherwise %1.15g, or %1.17g when 15 digits do not read back the same.
         */
        public static String number(double d) {
            if (!Double.isNaN(d) && !Double.isInfinite(d) && d == (double) (long) d) {
                return Long.toUnsignedString((long) d);
            }
            String s = Units.general(d, 15);
            if (Double.parseDouble(s) != d) {
                s = Units.general(d, 17);
            }
            return s;
        }

        private static void string(StringBuilder out, String s) {
            out.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> out.append("\\\"");
                    case '\\' -> out.append("\\\\");
                    case '\b' -> out.append("\\b");
                    case '\f' -> out.append("\\f");
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    case '\t' -> out.append("\\t");
                    default -> {
                        if (c < 0x20) {
                            out.append(String.format("\\u%04x", (int) c));
                        } else {
                            out.append(c);
                        }
                    }
                }
            }
            out.append('"');
        }
    }
}
