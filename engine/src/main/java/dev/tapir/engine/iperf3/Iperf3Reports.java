package dev.tapir.engine.iperf3;

import dev.tapir.engine.report.Connection;
import dev.tapir.engine.report.TestStart;
import dev.tapir.engine.test.TestSpec;
import java.util.List;

/** The "start" part of an iperf3 report, as tapir fills it in on either side. */
final class Iperf3Reports {
    static final String VERSION = "tapir (iperf " + Iperf3Parameters.VERSION + " protocol)";

    private Iperf3Reports() {
    }

    /** @param controlMss the client's control connection MSS ({@code tcp_mss_default}); 0 on the server, as 3.12 */
    static TestStart start(boolean client, List<Connection> connected, long timeSecs, String peerHost, int peerPort,
            Cookie cookie, TestSpec spec, int omitSeconds, int controlMss) {
        String systemInfo = System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch");
        int buffer = spec.protocol() == dev.tapir.engine.test.Protocol.UDP ? spec.datagramOptions().bufferBytes()
                : spec.streamOptions().windowBytes();
        return new TestStart(client, connected, VERSION, systemInfo, timeSecs, peerHost, peerPort, cookie.text(),
                controlMss,
                spec.rateBitsPerSecond(), buffer, 0, 0, spec.protocol(), spec.streams(), spec.length(), omitSeconds,
                spec.timed() ? spec.durationNanos() / 1_000_000_000L : 0, spec.bytes(), spec.blocks(), spec.reverse(),
                0);
    }
}
