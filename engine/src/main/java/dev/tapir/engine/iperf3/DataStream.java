package dev.tapir.engine.iperf3;

import dev.tapir.engine.test.PayloadVerifier;
import dev.tapir.engine.test.StreamCounters;
import dev.tapir.engine.transport.DatagramEndpoint;
import dev.tapir.engine.transport.StreamConnection;
import dev.tapir.engine.transport.TcpStats;

/**
 * One iperf3 data stream of a test: its id (1, 3, 4, 5, ... as iperf3 numbers them), its direction as seen from this
 * side, its TCP connection or UDP endpoint, and the counters its loop bumps.
 */
final class DataStream {
    final int id;
    final boolean sending;
    final StreamConnection connection;
    final DatagramEndpoint endpoint;
    final StreamCounters counters;
    final TcpStats tcpStats = new TcpStats();
    Runnable loop;
    Thread thread;
    /** Checks what a receiving stream got ({@code --verify}), else null. */
    PayloadVerifier verifier;

    DataStream(int id, boolean sending, StreamConnection connection, DatagramEndpoint endpoint, StreamCounters counters) {
        this.id = id;
        this.sending = sending;
        this.connection = connection;
        this.endpoint = endpoint;
        this.counters = counters;
    }

    /** iperf3's stream ids: the first stream is 1, the next ones 3, 4, 5, ... (kept so for compatibility). */
    static int idOf(int index) {
        return index == 0 ? 1 : index + 2;
    }

    boolean finished() {
        return thread == null || !thread.isAlive();
    }

    void close() {
        if (connection != null) {
            connection.close();
        }
        if (endpoint != null) {
            endpoint.close();
        }
    }
}
