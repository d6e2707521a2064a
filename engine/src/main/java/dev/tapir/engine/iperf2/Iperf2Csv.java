package dev.tapir.engine.iperf2;

import dev.tapir.engine.report.Connection;
import dev.tapir.engine.report.CsvReport;
import dev.tapir.engine.report.Interval;
import dev.tapir.engine.report.IntervalSample;
import dev.tapir.engine.report.StreamResult;
import dev.tapir.engine.report.TestResult;
import dev.tapir.engine.report.Transfer;
import dev.tapir.engine.report.UdpFigures;
import dev.tapir.engine.test.Protocol;
import java.net.InetSocketAddress;
import java.time.Instant;

/**
 * Renders an iperf 2 result as 2.1.8's {@code -y C} lines through {@link CsvReport}: client endpoint first on both
 * ends, one line per interval (real time stamps), then the whole test (stamped {@link CsvReport#EPOCH_TIMESTAMP} when
 * there were no intervals, as 2.1.8 does). A UDP client prints its own sent figures with 2.1.8's placeholder UDP
 * fields ({@code 0.000,0,-1,-0.000,0}); the server report's figures are in the human and JSON renderings.
 */
public final class Iperf2Csv {
    private Iperf2Csv() {
    }

    public static String render(TestResult result) {
        Connection c = result.start().connected().get(0);
        InetSocketAddress local = new InetSocketAddress(c.localHost(), c.localPort());
        InetSocketAddress remote = new InetSocketAddress(c.remoteHost(), c.remotePort());
        boolean client = result.start().client();
        InetSocketAddress clientEnd = client ? local : remote;
        InetSocketAddress serverEnd = client ? remote : local;
        StringBuilder out = new StringBuilder();
        long startSecs = result.start().timeSecs();
        for (Interval interval : result.intervals()) {
            IntervalSample s = interval.streams().get(0);
            String stamp = CsvReport.timestamp(Instant.ofEpochSecond(startSecs + (long) s.end()), false);
            if (result.protocol() == Protocol.TCP || client) {
                out.append(line(stamp, clientEnd, serverEnd, s.start(), s.end(), s.bytes(), s.bitsPerSecond(),
                        result.protocol(), null));
            } else {
                out.append(CsvReport.udp(stamp, clientEnd, serverEnd, 1, s.start(), s.end(), s.bytes(),
                        s.bitsPerSecond(), s.jitterMillis(), s.lostPackets(), s.packets(), s.lostPercent(),
                        s.outOfOrder()));
            }
        }
        StreamResult stream = result.streams().get(0);
        Transfer t = client ? stream.sent() : stream.received();
        String stamp = result.intervals().isEmpty() ? CsvReport.EPOCH_TIMESTAMP
                : CsvReport.timestamp(Instant.ofEpochSecond(startSecs + (long) t.end()), false);
        out.append(line(stamp, clientEnd, serverEnd, t.start(), t.end(), t.bytes(), t.bitsPerSecond(),
                result.protocol(), client ? null : stream.udp()));
        return out.toString();
    }

    private static String line(String stamp, InetSocketAddress clientEnd, InetSocketAddress serverEnd, double start,
            double end, long bytes, double bitsPerSecond, Protocol protocol, UdpFigures udp) {
        if (protocol == Protocol.TCP) {
            return CsvReport.tcp(stamp, clientEnd, serverEnd, 1, start, end, bytes, bitsPerSecond);
        }
        if (udp == null) {
            return CsvReport.udp(stamp, clientEnd, serverEnd, 1, start, end, bytes, bitsPerSecond, 0, 0, -1, -0.0, 0);
        }
        return CsvReport.udp(stamp, clientEnd, serverEnd, 1, start, end, bytes, bitsPerSecond, udp.jitterMillis(),
                udp.lostPackets(), udp.packets(), udp.lostPercent(), udp.outOfOrder());
    }
}
