package dev.tapir.engine.iperf3;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tapir.engine.report.JsonReport;
import dev.tapir.engine.report.Verification;
import java.util.ArrayList;
import java.util.List;

/**
 * The results each side sends after EXCHANGE_RESULTS (iperf3 3.12 {@code send_results()}/{@code get_results()}).
 * Counts that are "not available" are -1 here and (uint64)-1 = 18446744073709551615 on the wire, as iperf3 prints
 * them.
 *
 * @param cpuUtilTotal percent
 * @param cpuUtilUser percent
 * @param cpuUtilSystem percent
 * @param senderHasRetransmits 1, 0, or -1 (this side only received)
 * @param congestionUsed TCP congestion control in use, null for UDP or when unknown
 * @param streams one entry per stream, matched by id
 * @param serverOutputJson the server's {@code -J} output when the client asked for it and the server ran with -J
 * @param serverOutputText the server's text output when the client asked for it and the server printed text
 * @param verification what a tapir peer's receivers checked with {@code --verify} (tapir's own key
 *     {@code "tapir_verify"}, which iperf3 ignores), null from iperf3 or without --verify
 */
public record Iperf3Results(
        double cpuUtilTotal,
        double cpuUtilUser,
        double cpuUtilSystem,
        long senderHasRetransmits,
        String congestionUsed,
        List<Stream> streams,
        JsonNode serverOutputJson,
        String serverOutputText,
        Verification verification) {

    public Iperf3Results {
        streams = List.copyOf(streams);
    }

    /** Results without {@code --verify}, as iperf3 sends them. */
    public Iperf3Results(double cpuUtilTotal, double cpuUtilUser, double cpuUtilSystem, long senderHasRetransmits,
            String congestionUsed, List<Stream> streams, JsonNode serverOutputJson, String serverOutputText) {
        this(cpuUtilTotal, cpuUtilUser, cpuUtilSystem, senderHasRetransmits, congestionUsed, streams, serverOutputJson,
                serverOutputText, null);
    }

    /**
     * One stream's figures.
     *
     * @param id stream id (1, 3, 4, 5, ...)
     * @param bytes bytes sent (sender) or received (receiver)
     * @param retransmits TCP retransmits of a sending stream, -1 otherwise
     * @param jitterSeconds UDP jitter seen by a receiver, seconds
     * @param errors UDP datagrams lost (receiver)
     * @param packets UDP datagrams sent, or the highest counter seen by a receiver
     * @param startTime seconds since the stream's start (always 0 in iperf3)
     * @param endTime seconds the stream ran
     */
    public record Stream(int id, long bytes, long retransmits, double jitterSeconds, long errors, long packets,
            double startTime, double endTime) {
    }

    public Stream stream(int id) {
        for (Stream s : streams) {
            if (s.id == id) {
                return s;
            }
        }
        return null;
    }

    public ObjectNode toJson() {
        ObjectNode json = ControlChannel.JSON.createObjectNode();
        json.put("cpu_util_total", cpuUtilTotal);
        json.put("cpu_util_user", cpuUtilUser);
        json.put("cpu_util_system", cpuUtilSystem);
        putCount(json, "sender_has_retransmits", senderHasRetransmits);
        if (congestionUsed != null) {
            json.put("congestion_used", congestionUsed);
        }
        if (serverOutputJson != null) {
            json.set("server_output_json", serverOutputJson);
        }
        if (serverOutputText != null) {
            json.put("server_output_text", serverOutputText);
        }
        if (verification != null) {
            json.set(JsonReport.VERIFY_KEY, JsonReport.verification(verification));
        }
        ArrayNode array = json.putArray("streams");
        for (Stream s : streams) {
            ObjectNode o = array.addObject();
            o.put("id", s.id);
            putCount(o, "bytes", s.bytes);
            putCount(o, "retransmits", s.retransmits);
            o.put("jitter", s.jitterSeconds);
            putCount(o, "errors", s.errors);
            putCount(o, "packets", s.packets);
            o.put("start_time", s.startTime);
            o.put("end_time", s.endTime);
        }
        return json;
    }

    /** Parses a peer's results; every field iperf3 3.12 requires must be present. */
    public static Iperf3Results fromJson(ObjectNode json) throws Iperf3ProtocolException {
        for (String key : new String[] {"cpu_util_total", "cpu_util_user", "cpu_util_system", "sender_has_retransmits"}) {
            if (!json.has(key)) {
                throw new Iperf3ProtocolException("results lack \"" + key + "\"");
            }
        }
        JsonNode array = json.get("streams");
        if (array == null || !array.isArray()) {
            throw new Iperf3ProtocolException("results lack a \"streams\" array");
        }
        List<Stream> streams = new ArrayList<>(array.size());
        for (JsonNode o : array) {
            for (String key : new String[] {"id", "bytes", "retransmits", "jitter", "errors", "packets"}) {
                if (!o.has(key)) {
                    throw new Iperf3ProtocolException("a stream in the results lacks \"" + key + "\"");
                }
            }
            long id = JsonNumbers.countOrUnknown(o.get("id"));
            if (id < 0 || id > Integer.MAX_VALUE) {
                throw new Iperf3ProtocolException("a stream in the results has a bad id: " + o.get("id"));
            }
            streams.add(new Stream((int) id,
                    JsonNumbers.countOrUnknown(o.get("bytes")),
                    JsonNumbers.countOrUnknown(o.get("retransmits")),
                    JsonNumbers.decimal(o.get("jitter")),
                    JsonNumbers.countOrUnknown(o.get("errors")),
                    JsonNumbers.countOrUnknown(o.get("packets")),
                    JsonNumbers.decimal(o.get("start_time")),
                    JsonNumbers.decimal(o.get("end_time"))));
        }
        JsonNode congestion = json.get("congestion_used");
        JsonNode outputText = json.get("server_output_text");
        return new Iperf3Results(
                JsonNumbers.decimal(json.get("cpu_util_total")),
                JsonNumbers.decimal(json.get("cpu_util_user")),
                JsonNumbers.decimal(json.get("cpu_util_system")),
                JsonNumbers.countOrUnknown(json.get("sender_has_retransmits")),
                congestion != null && congestion.isTextual() ? congestion.textValue() : null,
                streams,
                json.get("server_output_json"),
                outputText != null && outputText.isTextual() ? outputText.textValue() : null,
                verification(json.get(JsonReport.VERIFY_KEY)));
    }

    private static Verification verification(JsonNode v) throws Iperf3ProtocolException {
        if (v == null) {
            return null;
        }
        boolean mismatch = v.path("mismatch").asBoolean(false);
        String[] keys = mismatch ? new String[] {"seed", "bytes_checked", "stream", "first_bad_offset", "expected",
            "actual"} : new String[] {"seed", "bytes_checked"};
        for (String key : keys) {
            if (!v.path(key).isIntegralNumber()) {
                throw new Iperf3ProtocolException("\"" + JsonReport.VERIFY_KEY + "\" in the results lacks \"" + key
                        + "\"");
            }
        }
        long seed = v.get("seed").longValue();
        long bytes = v.get("bytes_checked").longValue();
        if (!mismatch) {
            return Verification.clean(seed, bytes);
        }
        return new Verification(seed, bytes, v.get("stream").intValue(), Math.max(0, v.get("first_bad_offset")
                .longValue()), v.get("expected").intValue() & 0xff, v.get("actual").intValue() & 0xff);
    }

    private static void putCount(ObjectNode json, String key, long value) {
        if (value < 0) {
            json.put(key, JsonNumbers.UNSIGNED_MINUS_ONE);
        } else {
            json.put(key, value);
        }
    }
}
