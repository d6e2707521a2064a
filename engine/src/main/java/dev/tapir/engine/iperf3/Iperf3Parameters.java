package dev.tapir.engine.iperf3;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tapir.engine.report.JsonReport;

/**
 * The test parameters the client sends after PARAM_EXCHANGE, with the keys, order and defaults of iperf3 3.12's
 * {@code send_parameters()}/{@code get_parameters()}. Optional keys go on the wire only when set, as iperf3 does.
 *
 * @param udp UDP test ({@code "udp":true}); otherwise TCP
 * @param omitSeconds {@code omit}
 * @param timeSeconds {@code time}; 0 when num or blockcount ends the test
 * @param bytes {@code num} (-n), total over all streams
 * @param blocks {@code blockcount} (-k), total over all streams
 * @param mss {@code MSS} (-M), 0 = unset
 * @param noDelay {@code nodelay} (-N)
 * @param parallel {@code parallel} (-P)
 * @param reverse {@code reverse} (-R)
 * @param bidirectional {@code bidirectional} (--bidir)
 * @param window {@code window} (-w), 0 = unset
 * @param length {@code len} (-l)
 * @param bandwidth {@code bandwidth} (-b) in bit/s, 0 = unlimited
 * @param pacingTimerMicros {@code pacing_timer}
 * @param congestion {@code congestion} (-C), null = unset
 * @param getServerOutput {@code get_server_output}
 * @param udpCounters64bit {@code udp_counters_64bit}
 * @param clientVersion {@code client_version}, null when the client sent none
 * @param verifySeed {@code tapir_verify}: a tapir client asks a tapir server to check its seeded pattern
 *     ({@code --verify}); null when not asked. iperf3 ignores the key.
 */
public record Iperf3Parameters(
        boolean udp,
        int omitSeconds,
        int timeSeconds,
        long bytes,
        long blocks,
        int mss,
        boolean noDelay,
        int parallel,
        boolean reverse,
        boolean bidirectional,
        int window,
        int length,
        long bandwidth,
        int pacingTimerMicros,
        String congestion,
        boolean getServerOutput,
        boolean udpCounters64bit,
        String clientVersion,
        Long verifySeed) {

    /** iperf3's own limits (iperf.h): at most 128 streams, 1 MiB TCP blocks, 65507-byte UDP datagrams, 1 day. */
    public static final int MAX_STREAMS = 128;
    public static final int MAX_TCP_LENGTH = 1024 * 1024;
    public static final int MAX_UDP_LENGTH = 65535 - 8 - 20;
    public static final int MAX_TIME_SECONDS = 86400;
    public static final int DEFAULT_TCP_LENGTH = 128 * 1024;
    public static final int DEFAULT_UDP_LENGTH = 1460;
    public static final String VERSION = "3.12";

    /** Parameters without {@code --verify}, the ones iperf3 knows. */
    public Iperf3Parameters(boolean udp, int omitSeconds, int timeSeconds, long bytes, long blocks, int mss,
            boolean noDelay, int parallel, boolean reverse, boolean bidirectional, int window, int length,
            long bandwidth, int pacingTimerMicros, String congestion, boolean getServerOutput,
            boolean udpCounters64bit, String clientVersion) {
        this(udp, omitSeconds, timeSeconds, bytes, blocks, mss, noDelay, parallel, reverse, bidirectional, window,
                length, bandwidth, pacingTimerMicros, congestion, getServerOutput, udpCounters64bit, clientVersion,
                null);
    }

    /** The JSON text iperf3 3.12 would send for these parameters, keys in its order, then tapir's own key. */
    public ObjectNode toJson() {
        ObjectNode json = ControlChannel.JSON.createObjectNode();
        json.put(udp ? "udp" : "tcp", true);
        json.put("omit", omitSeconds);
        json.put("time", timeSeconds);
        json.put("num", bytes);
        json.put("blockcount", blocks);
        if (mss > 0) {
            json.put("MSS", mss);
        }
        if (noDelay) {
            json.put("nodelay", true);
        }
        json.put("parallel", parallel);
        if (reverse) {
            json.put("reverse", true);
        }
        if (bidirectional) {
            json.put("bidirectional", true);
        }
        if (window > 0) {
            json.put("window", window);
        }
        json.put("len", length);
        if (bandwidth > 0) {
            json.put("bandwidth", bandwidth);
        }
        json.put("pacing_timer", pacingTimerMicros);
        if (congestion != null) {
            json.put("congestion", congestion);
        }
        if (getServerOutput) {
            json.put("get_server_output", 1);
        }
        if (udpCounters64bit) {
            json.put("udp_counters_64bit", 1);
        }
        json.put("client_version", clientVersion == null ? VERSION : clientVersion);
        if (verifySeed != null) {
            json.put(JsonReport.VERIFY_KEY, verifySeed.longValue());
        }
        return json;
    }

    /**
     * Reads the client's parameters with iperf3's defaults for absent keys ({@code {"tcp":true}} alone is a valid
     * 10-second single-stream TCP test), and rejects values outside iperf3's limits or protocols tapir does not speak.
     */
    public static Iperf3Parameters fromJson(ObjectNode json) throws Iperf3ProtocolException {
        if (json.has("sctp")) {
            throw new Iperf3ProtocolException("the client asks for SCTP, which tapir does not support");
        }
        // iperf3 reads "tcp" then "udp"; the last one present wins.
        boolean udp = json.has("udp");
        int maxLength = udp ? MAX_UDP_LENGTH : MAX_TCP_LENGTH;
        int length = (int) JsonNumbers.parameter(json, "len", udp ? DEFAULT_UDP_LENGTH : DEFAULT_TCP_LENGTH, maxLength);
        if (length == 0 || (udp && length < Iperf3DatagramHeader.LENGTH_64BIT)) {
            throw new Iperf3ProtocolException("parameter \"len\" = " + length + " is too small");
        }
        int parallel = (int) JsonNumbers.parameter(json, "parallel", 1, MAX_STREAMS);
        if (parallel == 0) {
            throw new Iperf3ProtocolException("parameter \"parallel\" = 0 is out of range (1.." + MAX_STREAMS + ")");
        }
        return new Iperf3Parameters(
                udp,
                (int) JsonNumbers.parameter(json, "omit", 0, 600),
                (int) JsonNumbers.parameter(json, "time", 10, MAX_TIME_SECONDS),
                JsonNumbers.parameter(json, "num", 0, Long.MAX_VALUE),
                JsonNumbers.parameter(json, "blockcount", 0, Long.MAX_VALUE),
                (int) JsonNumbers.parameter(json, "MSS", 0, 32 * 1024 - 1),
                json.has("nodelay"),
                parallel,
                json.has("reverse"),
                json.has("bidirectional"),
                (int) JsonNumbers.parameter(json, "window", 0, 512L * 1024 * 1024),
                length,
                JsonNumbers.parameter(json, "bandwidth", 0, Long.MAX_VALUE),
                (int) JsonNumbers.parameter(json, "pacing_timer", 1000, Integer.MAX_VALUE),
                text(json.get("congestion")),
                json.has("get_server_output"),
                json.has("udp_counters_64bit"),
                text(json.get("client_version")),
                verifySeed(json.get(JsonReport.VERIFY_KEY)));
    }

    private static Long verifySeed(JsonNode node) throws Iperf3ProtocolException {
        if (node == null) {
            return null;
        }
        if (!node.isIntegralNumber() || !node.canConvertToLong()) {
            throw new Iperf3ProtocolException("parameter \"" + JsonReport.VERIFY_KEY
                    + "\" must be a 64-bit integer seed");
        }
        return node.longValue();
    }

    private static String text(JsonNode node) {
        return node != null && node.isTextual() ? node.textValue() : null;
    }
}
