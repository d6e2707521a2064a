package dev.tapir.engine.report;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/**
 * iperf 2.1.8's {@code -y C} lines. Fields 2-5 are always client first, then server, on both ends. Bits per second
 * are printed as a truncated integer; the UDP fields are jitter (ms, %.3f), lost, total, loss percent (%.3f) and
 * out-of-order.
 */
public final class CsvReport {
    /** The timestamp iperf 2.1.8 puts on final summary lines when no {@code -i} is given. */
    public static final String EPOCH_TIMESTAMP = "19700101000000";

    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("yyyyMMddHHmmss");
    private static final DateTimeFormatter MILLIS = DateTimeFormatter.ofPattern("yyyyMMddHHmmss.SSS");

    private CsvReport() {
    }

    /** Field 1: local time as {@code YYYYMMDDHHMMSS}, or with {@code .mmm} (iperf2's {@code -e}). */
    public static String timestamp(Instant when, boolean withMillis) {
        return (withMillis ? MILLIS : SECONDS).format(when.atZone(ZoneId.systemDefault()));
    }

    /** A TCP line. */
    public static String tcp(String timestamp, InetSocketAddress client, InetSocketAddress server, int id,
            double start, double end, long bytes, double bitsPerSecond) {
        return common(timestamp, client, server, id, start, end, bytes, bitsPerSecond) + "\n";
    }

    /** A UDP line. */
    public static String udp(String timestamp, InetSocketAddress client, InetSocketAddress server, int id,
            double start, double end, long bytes, double bitsPerSecond, double jitterMillis, long lost, long total,
            double lostPercent, long outOfOrder) {
        return common(timestamp, client, server, id, start, end, bytes, bitsPerSecond) + ","
                + Units.fixed(jitterMillis, 3) + "," + lost + "," + total + "," + Units.fixed(lostPercent, 3) + ","
                + outOfOrder + "\n";
    }

    private static String common(String timestamp, InetSocketAddress client, InetSocketAddress server, int id,
            double start, double end, long bytes, double bitsPerSecond) {
        return timestamp + "," + AddressText.of(client.getAddress()) + "," + client.getPort() + ","
                + AddressText.of(server.getAddress()) + "," + server.getPort() + "," + id + ","
                + Units.fixed(start, 1) + "-" + Units.fixed(end, 1) + "," + bytes + "," + (long) bitsPerSecond;
    }
}
