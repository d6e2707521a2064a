package dev.tapir.engine.iperf2;

import dev.tapir.engine.report.AddressText;
import dev.tapir.engine.report.Connection;
import dev.tapir.engine.report.CpuUtilization;
import dev.tapir.engine.report.Interval;
import dev.tapir.engine.report.ReportSink;
import dev.tapir.engine.report.StreamResult;
import dev.tapir.engine.report.TcpFigures;
import dev.tapir.engine.report.TestResult;
import dev.tapir.engine.report.TestStart;
import dev.tapir.engine.report.Transfer;
import dev.tapir.engine.report.UdpFigures;
import dev.tapir.engine.test.IntervalReporter;
import dev.tapir.engine.test.PayloadPattern;
import dev.tapir.engine.test.Protocol;
import dev.tapir.engine.test.ReportedStream;
import dev.tapir.engine.test.StopSignal;
import dev.tapir.engine.test.StreamCounters;
import dev.tapir.engine.test.TcpSender;
import dev.tapir.engine.test.TestClock;
import dev.tapir.engine.test.TestSpec;
import dev.tapir.engine.test.UdpSender;
import dev.tapir.engine.transport.DatagramBatch;
import dev.tapir.engine.transport.DatagramEndpoint;
import dev.tapir.engine.transport.StreamConnection;
import dev.tapir.engine.transport.Transport;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * An iperf 2 client ({@code iperf -c}), wire-compatible with a 2.1.8 server, on any {@link Transport}. One stream.
 *
 * <p>TCP: the 60-byte {@link ClientHeader} goes out as a separate first write, then every write's buffer starts with
 * the same header, zeros to byte 244 and iperf's pattern after, as 2.1.8's do; the header counts towards {@code -n},
 * as in 2.1.8. The server's {@link ClientHeaderAck} is read and ignored.
 *
 * <p>UDP: datagrams with the full 2.1.8 header, paced at the spec's rate in bits per second as given (tapir reads
 * {@code -b 10M} as 10 000 000 bit/s; 2.1.8 itself reads it as 10 × 2^20). Then the FIN, id −(last + 1), re-sent
 * with the id decremented every {@value #FIN_WAIT_MILLIS} ms until the server report arrives, at most
 * {@value #FIN_TRIES} times (about 2 s), after which a one-line warning is printed and the result has no receiver
 * figures. The FIN is a full-length datagram and counts as sent, as the server counts it as received.
 */
public final class Iperf2Client {
    /** The version this dialect speaks and reports. */
    public static final String VERSION = "iperf 2.1.8";
    public static final int DEFAULT_PORT = 5001;
    public static final int DEFAULT_TCP_LENGTH = 128 * 1024;
    public static final int DEFAULT_UDP_LENGTH = 1470;
    /** FINs sent at most while waiting for the server report (2.1.8: 2 s / 10 ms). */
    public static final int FIN_TRIES = 200;
    public static final int FIN_WAIT_MILLIS = 10;
    /** Bytes at the start of every TCP write before the pattern: the header, then zeros (as 2.1.8 fills them). */
    static final int TCP_PREFIX_LENGTH = 244;
    private static final int CONNECT_TIMEOUT_MILLIS = 10_000;
    /** How long the client waits, after its last byte, for the server to close (it reads the ack meanwhile). */
    private static final long CLOSE_WAIT_NANOS = 5_000_000_000L;

    private Iperf2Client() {
    }

    /**
     * Runs one test against {@code server}.
     *
     * @param intervals receives interval reports when {@code spec.intervalNanos()} is positive, or null
     * @param warnings where the one-line warnings go (server report missing)
     */
    public static TestResult run(Transport transport, InetSocketAddress server, TestSpec spec, ReportSink intervals,
            PrintStream warnings) throws IOException {
        return run(transport, server, spec, intervals, warnings, new StopSignal());
    }

    /**
     * Like {@link #run(Transport, InetSocketAddress, TestSpec, ReportSink, PrintStream)}; {@code stop} ends the
     * sending early (Ctrl-C), after which the test finishes as at its end: FIN, the server's report, the summary.
     */
    public static TestResult run(Transport transport, InetSocketAddress server, TestSpec spec, ReportSink intervals,
            PrintStream warnings, StopSignal stop) throws IOException {
        if (spec.streams() != 1 || spec.reverse() || spec.bidirectional()) {
            throw new IllegalArgumentException("the iperf2 dialect runs one stream, client to server (no -P, -R, --bidir)");
        }
        return spec.protocol() == Protocol.TCP
                ? runTcp(transport, server, spec, intervals, stop)
                : runUdp(transport, server, spec, intervals, warnings, stop);
    }

    private static int amount(TestSpec spec) {
        return spec.timed() ? ClientHeader.amountForDuration(spec.durationNanos())
                : ClientHeader.amountForBytes(spec.protocol() == Protocol.TCP ? spec.byteLimit()
                        : spec.datagramLimit() * spec.length());
    }

    // ---- TCP ----

    private static TestResult runTcp(Transport transport, InetSocketAddress server, TestSpec spec,
            ReportSink intervalSink, StopSignal stop) throws IOException {
        MemorySegment prefix = Arena.ofAuto().allocate(TCP_PREFIX_LENGTH, 8);
        new ClientHeader().wrap(prefix, 0).writeAs218(ClientHeader.TCP_FLAGS, server.getPort(), 0, amount(spec), 0);
        try (StreamConnection connection = transport.connect(server, null, spec.streamOptions(),
                CONNECT_TIMEOUT_MILLIS)) {
            StreamCounters counters = new StreamCounters();
            TestClock clock = TestClock.start();
            Iperf2Server.writeFully(connection, prefix, ClientHeader.LENGTH);
            counters.addBytes(ClientHeader.LENGTH);
            // With -n the header counts towards the total; an -n no larger than the header sends only the header.
            boolean headerOnly = spec.bytes() > 0 && spec.bytes() <= ClientHeader.LENGTH;
            TestSpec rest = spec.bytes() > ClientHeader.LENGTH ? withBytes(spec, spec.bytes() - ClientHeader.LENGTH)
                    : spec;
            List<Interval> intervals = new ArrayList<>();
            IntervalReporter reporter = reporter(clock, spec, counters, connection, intervals, intervalSink);
            TcpSender sender = new TcpSender(rest, connection, counters, clock, stop, prefix);
            Thread hot = Thread.ofPlatform().name("tapir-iperf2-tcp-sender").unstarted(sender);
            if (!headerOnly) {
                hot.start();
                join(hot);
            }
            reporter.stop(true);
            if (sender.failure() != null) {
                throw sender.failure();
            }
            double seconds = clock.seconds(Math.max(counters.endNanos(), clock.startNanos()));
            connection.shutdownOutput();
            drainUntilClosed(connection);
            StreamResult stream = new StreamResult(1, Transfer.of(0, seconds, counters.bytes()), Transfer.NONE,
                    reporter.tcpFigures(0), null, 0, true);
            return result(connection.localAddress(), connection.remoteAddress(), spec, intervals, stream, seconds);
        }
    }

    private static TestSpec withBytes(TestSpec s, long bytes) {
        return new TestSpec(s.protocol(), s.length(), bytes, 0, s.durationNanos(), s.intervalNanos(),
                s.rateBitsPerSecond(), s.streams(), s.reverse(), s.bidirectional(), s.streamOptions(),
                s.datagramOptions(), s.verify());
    }

    /** Reads (and ignores: it is the CLIENTHDRACK) whatever the server sends until it closes, bounded in time. */
    private static void drainUntilClosed(StreamConnection connection) throws IOException {
        MemorySegment sink = Arena.ofAuto().allocate(ClientHeaderAck.LENGTH * 4, 8);
        long deadline = System.nanoTime() + CLOSE_WAIT_NANOS;
        while (System.nanoTime() - deadline < 0) {
            if (connection.read(sink, 0, (int) sink.byteSize(), StopSignal.POLL_MILLIS) == StreamConnection.EOF) {
                return;
            }
        }
    }

    // ---- UDP ----

    private static TestResult runUdp(Transport transport, InetSocketAddress server, TestSpec spec,
            ReportSink intervalSink, PrintStream warnings, StopSignal stop) throws IOException {
        int length = spec.length();
        MemorySegment prefix = Arena.ofAuto().allocate(Iperf2DatagramCodec.UDP_PREFIX_LENGTH, 8);
        Iperf2DatagramCodec.udpPrefix(prefix, server.getPort(), length, amount(spec), spec.rateBitsPerSecond());
        InetAddress any = server.getAddress() instanceof Inet6Address
                ? InetAddress.getByName("::") : InetAddress.getByName("0.0.0.0");
        try (DatagramEndpoint endpoint = transport.bindDatagram(new InetSocketAddress(any, 0),
                spec.datagramOptions())) {
            endpoint.connect(server);
            StreamCounters counters = new StreamCounters();
            Iperf2DatagramCodec codec = new Iperf2DatagramCodec();
            TestClock clock = TestClock.start();
            List<Interval> intervals = new ArrayList<>();
            IntervalReporter reporter = reporter(clock, spec, counters, null, intervals, intervalSink);
            UdpSender sender = new UdpSender(spec, endpoint, counters, codec, clock, stop, prefix);
            Thread hot = Thread.ofPlatform().name("tapir-iperf2-udp-sender").unstarted(sender);
            hot.start();
            join(hot);
            reporter.stop(true);
            if (sender.failure() != null) {
                throw sender.failure();
            }
            double seconds = clock.seconds(counters.endNanos());
            long sentPackets = counters.packets() + 1;
            long sentBytes = counters.bytes() + length;
            ServerReport report = finishWithFin(endpoint, codec, clock, prefix, length, sender.lastSequence());
            Transfer received = Transfer.NONE;
            UdpFigures udp = null;
            if (report == null) {
                warnings.println("WARNING: did not receive ack of last datagram after " + FIN_TRIES + " tries.");
            } else {
                received = Transfer.of(0, report.stopMicros() / 1e6, report.totalLength());
                udp = new UdpFigures(report.jitterMicros() / 1000.0, report.errorCount(), report.datagrams(),
                        report.outOfOrderCount());
            }
            StreamResult stream = new StreamResult(1, Transfer.of(0, seconds, sentBytes), received,
                    TcpFigures.UNKNOWN, udp, sentPackets, true);
            return result(endpoint.localAddress(), server, spec, intervals, stream, seconds);
        }
    }

    /**
     * Sends the FIN (id −(last + 1), stamped with the stop time) and waits {@value #FIN_WAIT_MILLIS} ms at a time for
     * the server report, sending another FIN with the next lower id after each silent wait. Returns the report, or
     * null after {@value #FIN_TRIES} tries. Replies that are not a report (a stray CLIENTHDRACK) and receive errors
     * (ICMP port unreachable) use up a try, as in 2.1.8.
     */
    private static ServerReport finishWithFin(DatagramEndpoint endpoint, Iperf2DatagramCodec codec, TestClock clock,
            MemorySegment prefix, int length, long lastSequence) throws IOException {
        MemorySegment fin = Arena.ofAuto().allocate(length, 8);
        PayloadPattern.fill(fin, prefix);
        DatagramBatch replies = new DatagramBatch(Arena.ofAuto().allocate(65_536L * 4, 8), 4);
        ServerReport report = new ServerReport();
        long finId = -(lastSequence + 1);
        boolean send = true;
        for (int tries = 0; tries < FIN_TRIES; tries++) {
            if (send) {
                codec.write(fin, 0, finId, clock.epochMicros());
                endpoint.send(fin, 0, length, 1);
                finId--;
            }
            int n;
            try {
                n = endpoint.receive(replies, FIN_WAIT_MILLIS);
            } catch (IOException refused) {
                send = false;
                continue;
            }
            send = n == 0;
            for (int i = 0; i < n; i++) {
                if (replies.length(i) >= ServerReport.LENGTH
                        && report.wrap(replies.buffer(), replies.offset(i)).isReport()) {
                    MemorySegment copy = Arena.ofAuto().allocate(ServerReport.LENGTH, 8);
                    MemorySegment.copy(replies.buffer(), replies.offset(i), copy, 0, ServerReport.LENGTH);
                    return report.wrap(copy, 0);
                }
            }
        }
        return null;
    }

    // ---- reporting ----

    private static IntervalReporter reporter(TestClock clock, TestSpec spec, StreamCounters counters,
            StreamConnection connection, List<Interval> intervals, ReportSink sink) {
        IntervalReporter reporter = new IntervalReporter(clock, spec.intervalNanos(),
                List.of(new ReportedStream(1, true, counters, connection)), interval -> {
                    intervals.add(interval);
                    if (sink != null) {
                        sink.onInterval(interval);
                    }
                });
        reporter.start();
        return reporter;
    }

    private static TestResult result(InetSocketAddress local, InetSocketAddress remote, TestSpec spec,
            List<Interval> intervals, StreamResult stream, double seconds) {
        Connection connection = new Connection(1, AddressText.of(local.getAddress()), local.getPort(),
                AddressText.of(remote.getAddress()), remote.getPort());
        TestStart start = new TestStart(true, List.of(connection), VERSION, "", System.currentTimeMillis() / 1000,
                AddressText.of(remote.getAddress()), remote.getPort(), "", 0, spec.rateBitsPerSecond(), 0, 0, 0,
                spec.protocol(), 1, spec.length(), 0, spec.timed() ? spec.durationNanos() / 1_000_000_000L : 0,
                spec.bytes(), spec.blocks(), false, 0);
        return new TestResult(start, intervals, List.of(stream), true, CpuUtilization.NONE, null, null);
    }

    private static void join(Thread thread) {
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
