package dev.tapir.engine.report;

import dev.tapir.engine.test.Protocol;
import java.util.List;

/**
 * What iperf3 prints before a test (the JSON "start" object and the human header lines).
 *
 * @param client true on the client (connecting_to), false on the server (accepted_connection)
 * @param peerHost the host connected to (client) or the control connection's peer (server)
 * @param peerPort its port
 * @param timeSecs test start, seconds since the epoch
 * @param tcpMssDefault the control connection's MSS (client), 0 on the server; not printed for UDP
 * @param durationSeconds {@code -t} in whole seconds
 */
public record TestStart(
        boolean client,
        List<Connection> connected,
        String version,
        String systemInfo,
        long timeSecs,
        String peerHost,
        int peerPort,
        String cookie,
        int tcpMssDefault,
        long targetBitrate,
        int sockBufsize,
        int sndbufActual,
        int rcvbufActual,
        Protocol protocol,
        int numStreams,
        int blksize,
        int omit,
        long durationSeconds,
        long bytes,
        long blocks,
        boolean reverse,
        int tos) {
    public TestStart {
        connected = List.copyOf(connected);
    }
}
