package dev.tapir.engine.test;

import dev.tapir.engine.transport.StreamConnection;

/**
 * A stream as the {@link IntervalReporter} sees it.
 *
 * @param id the id reports print (iperf3: the socket number)
 * @param sender true when this end sends on the stream
 * @param counters the stream's counters
 * @param connection the TCP connection to read {@link dev.tapir.engine.transport.TcpStats} from, or null (UDP, or
 *     a receiver)
 */
public record ReportedStream(int id, boolean sender, StreamCounters counters, StreamConnection connection) {
}
