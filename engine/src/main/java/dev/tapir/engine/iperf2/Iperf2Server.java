package dev.tapir.engine.iperf2;

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
import dev.tapir.engine.test.Protocol;
import dev.tapir.engine.test.ReportedStream;
import dev.tapir.engine.test.StopSignal;
import dev.tapir.engine.test.StreamCounters;
import dev.tapir.engine.test.TcpReceiver;
import dev.tapir.engine.test.TestClock;
import dev.tapir.engine.test.UdpReceiveStats;
import dev.tapir.engine.test.UdpReceiver;
import dev.tapir.engine.transport.DatagramBatch;
import dev.tapir.engine.transport.DatagramEndpoint;
import dev.tapir.engine.transport.DatagramOptions;
import dev.tapir.engine.transport.StreamConnection;
import dev.tapir.engine.transport.StreamListener;
import dev.tapir.engine.transport.StreamOptions;
import dev.tapir.engine.transport.Transport;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * An iperf 2 server ({@code iperf -s [-u]}), wire-compatible with 2.1.8 clients and with 2.0.x UDP senders. Serves one
 * test at a time, on any {@link Transport}.
 *
 * <p>UDP: every datagram of any header variant feeds {@link UdpReceiveStats} (iperf 2 stamps datagrams with the
 * epoch, so transit = arrival epoch − sent); the FIN (negative id) counts as a datagram, as in 2.1.8, and is answered
 * with the 128-byte {@link ServerReport}; each further datagram within {@value #SILENCE_MILLIS} ms gets the report
 * again, at most {@value #REPORT_WRITES} writes in all. TCP: reads the 2.1.x client header when there is one (or the
 * 24-byte 2.0.x header), answers a 2.1.x header with a {@link ClientHeaderAck}, and counts every byte until EOF.
 */
public final class Iperf2Server implements AutoCloseable {
    /** The silence 2.1.8 waits for after writing its report before it considers the client satisfied. */
    public static final int SILENCE_MILLIS = 250;
    /** Report writes 2.1.8 makes at most (its loop runs TRYCOUNT − 1 = 9 times). */
    public static final int REPORT_WRITES = 9;
    private static final int MAX_DATAGRAM = 65_536;
    private static final long FIRST_ARRIVAL_POLL_NANOS = 1_000_000;
    /** A UDP test whose client fell silent this long without a FIN is abandoned (no report, not a result). */
    private static final long ABANDONED_NANOS = 10_000_000_000L;

    /**
     * What a server does besides serving.
     *
     * @param intervalNanos {@code -i}; 0 = no interval reports
     * @param intervals where interval reports go (null when intervalNanos is 0)
     * @param results receives each finished test's result, on the serving thread
     */
    public record Options(long intervalNanos, StreamOptions streamOptions, DatagramOptions datagramOptions,
            ReportSink intervals, Consumer<TestResult> results) {
        public Options {
            if (intervalNanos < 0) {
                throw new IllegalArgumentException("interval (-i) must not be negative");
            }
            streamOptions = streamOptions == null ? StreamOptions.DEFAULT : streamOptions;
            datagramOptions = datagramOptions == null ? DatagramOptions.DEFAULT : datagramOptions;
            results = results == null ? r -> { } : results;
        }
    }

    private final Transport transport;
    private final Protocol protocol;
    private final Options options;
    private final StreamListener listener;
    private final DatagramEndpoint endpoint;
    private final StopSignal stop = new StopSignal();
    private final MemorySegment control = Arena.ofAuto().allocate(ServerReport.LENGTH, 8);
    private volatile long droppedDatagrams;

    /** Binds at once, so {@link #localAddress()} is known before {@link #serve}. */
    public Iperf2Server(Transport transport, InetSocketAddress bind, Protocol protocol, Options options)
            throws IOException {
        this.transport = transport;
        this.protocol = protocol;
        this.options = options;
        if (protocol == Protocol.TCP) {
            this.listener = transport.listen(bind, options.streamOptions());
            this.endpoint = null;
        } else {
            this.listener = null;
            this.endpoint = transport.bindDatagram(bind, options.datagramOptions());
        }
    }

    public InetSocketAddress localAddress() {
        return listener != null ? listener.localAddress() : endpoint.localAddress();
    }

    /** Garbage datagrams (too short, id 0) counted and dropped since the server started. */
    public long droppedDatagrams() {
        return droppedDatagrams;
    }

    /**
     * Serves tests until {@link #close()} (from another thread), or returns after the first one when {@code oneOff}.
     */
    public void serve(boolean oneOff) throws IOException {
        while (!stop.stopped()) {
            boolean served = protocol == Protocol.TCP ? serveTcp() : serveUdp();
            if (served && oneOff) {
                return;
            }
        }
    }

    /** Stops {@link #serve} within {@link StopSignal#POLL_MILLIS} and releases the socket. */
    @Override
    public void close() {
        stop.stop();
        if (listener != null) {
            listener.close();
        }
        if (endpoint != null) {
            endpoint.close();
        }
    }

    // ---- UDP ----

    private boolean serveUdp() throws IOException {
        UdpReceiveStats stats = new UdpReceiveStats();
        StreamCounters counters = new StreamCounters(stats);
        TestClock epoch = TestClock.start();
        UdpReceiver receiver = new UdpReceiver(endpoint, counters, new Iperf2DatagramCodec(), epoch, stop,
                MAX_DATAGRAM, ABANDONED_NANOS);
        Thread hot = Thread.ofPlatform().name("tapir-iperf2-udp-receiver").unstarted(receiver);
        hot.start();
        IntervalReporter reporter = null;
        List<Interval> intervals = new ArrayList<>();
        try {
            while (receiver.firstArrivalNanos() == 0 && hot.isAlive()) {
                LockSupport.parkNanos(FIRST_ARRIVAL_POLL_NANOS);
            }
            if (receiver.firstArrivalNanos() != 0 && options.intervalNanos() > 0) {
                reporter = startReporter(counters, intervals);
            }
            join(hot);
        } finally {
            if (reporter != null) {
                reporter.stop(true);
            }
            droppedDatagrams += counters.errors();
        }
        if (receiver.failure() != null) {
            throw receiver.failure();
        }
        if (!receiver.finReceived()) {
            return false;
        }
        InetSocketAddress client = endpoint.lastSource();
        long micros = Math.max(1, (counters.endNanos() - receiver.firstArrivalNanos()) / 1_000);
        writeReport(stats, micros);
        answerRetransmittedFins(client);
        double seconds = micros / 1e6;
        UdpFigures udp = new UdpFigures(stats.jitterMillis(), stats.lost(), stats.highestSequence(),
                stats.outOfOrder());
        StreamResult stream = new StreamResult(1, Transfer.NONE, Transfer.of(0, seconds, stats.bytes()),
                TcpFigures.UNKNOWN, udp, 0);
        options.results().accept(result(client, Protocol.UDP, intervals, stream, seconds));
        return true;
    }

    /** Fills {@link #control} with the report 2.1.8 would send for these figures. */
    private void writeReport(UdpReceiveStats stats, long micros) {
        long datagrams = stats.highestSequence();
        long transits = stats.transitCount();
        double mean = stats.meanTransitMicros();
        new ServerReport().wrap(control, 0).clear()
                .flags(ServerReport.FLAGS)
                .totalLength(stats.bytes())
                .stopMicros(micros)
                .errorCount(stats.lost())
                .outOfOrderCount(stats.outOfOrder())
                .datagrams(datagrams)
                .jitterMicros((long) (stats.jitterMillis() * 1000.0))
                .minTransitMicros(stats.minTransitMicros())
                .maxTransitMicros(stats.maxTransitMicros())
                .sumTransitMicros(Math.round(mean * transits))
                .meanTransitMicros((long) mean)
                .m2TransitMicros2(stats.m2Transit())
                .cntTransit((int) transits)
                .cntIpg((int) (datagrams * 1_000_000L / micros))
                .ipgSum(1);
    }

    /**
     * Sends the report, then waits for {@link #SILENCE_MILLIS} of silence; a datagram in that time means the client
     * did not get the report (it re-sends its FIN), so the report goes out again, at most {@link #REPORT_WRITES} times.
     */
    private void answerRetransmittedFins(InetSocketAddress client) throws IOException {
        DatagramBatch drain = new DatagramBatch(Arena.ofAuto().allocate(MAX_DATAGRAM * 4L, 8), 4);
        for (int write = 0; write < REPORT_WRITES && !stop.stopped(); write++) {
            endpoint.sendTo(control, 0, ServerReport.LENGTH, client);
            if (endpoint.receive(drain, SILENCE_MILLIS) == 0) {
                return;
            }
        }
    }

    // ---- TCP ----

    private boolean serveTcp() throws IOException {
        StreamConnection connection = listener.accept(StopSignal.POLL_MILLIS);
        if (connection == null) {
            return false;
        }
        try (connection) {
            StreamCounters counters = new StreamCounters();
            TestClock clock = TestClock.start();
            counters.addBytes(readClientHeader(connection));
            List<Interval> intervals = new ArrayList<>();
            TcpReceiver receiver = new TcpReceiver(connection, counters, stop);
            IntervalReporter reporter = options.intervalNanos() > 0 ? startReporter(counters, intervals, clock) : null;
            try {
                receiver.run();
            } finally {
                if (reporter != null) {
                    reporter.stop(true);
                }
            }
            if (receiver.failure() != null) {
                throw receiver.failure();
            }
            double seconds = clock.seconds(counters.endNanos());
            StreamResult stream = new StreamResult(1, Transfer.NONE, Transfer.of(0, seconds, counters.bytes()),
                    TcpFigures.UNKNOWN, null, 0);
            options.results().accept(result(connection.remoteAddress(), Protocol.TCP, intervals, stream, seconds));
            return true;
        }
    }

    /**
     * Reads the client header the way 2.1.8's listener does: the first word decides. A 2.1.x header (HEADER_EXTEND)
     * is 60 bytes and is acknowledged; a 2.0.x header (HEADER_VERSION1 only) is 24 bytes; anything else is data.
     * Returns the bytes consumed, all of which count as received (2.1.8 counts them too).
     */
    private long readClientHeader(StreamConnection connection) throws IOException {
        MemorySegment head = control;
        int got = readFully(connection, head, 0, 4);
        if (got < 4) {
            return got;
        }
        int flags = head.get(Wire.INT, 0);
        if (!ClientHeader.plausibleFlags(flags)) {
            return got;
        }
        int length = (flags & ClientHeader.HEADER_EXTEND) != 0 ? ClientHeader.LENGTH : ClientHeader.V1_LENGTH;
        got += readFully(connection, head, 4, length - 4);
        if (got < length) {
            return got;
        }
        if ((flags & ClientHeader.HEADER_EXTEND) != 0) {
            new ClientHeaderAck().wrap(control, 0).writeAs218();
            writeFully(connection, control, ClientHeaderAck.LENGTH);
        }
        return got;
    }

    /** Reads until {@code length} bytes, EOF or a stop; returns the bytes read. */
    static int readFully(StreamConnection connection, MemorySegment dst, long offset, int length)
            throws IOException {
        int got = 0;
        while (got < length) {
            int n = connection.read(dst, offset + got, length - got, StopSignal.POLL_MILLIS);
            if (n == StreamConnection.EOF) {
                break;
            }
            got += n;
        }
        return got;
    }

    /** Writes all {@code length} bytes of {@code src}, waiting as long as it takes in bounded steps. */
    static void writeFully(StreamConnection connection, MemorySegment src, int length) throws IOException {
        int done = 0;
        while (done < length) {
            done += connection.write(src, done, length - done, StopSignal.POLL_MILLIS);
        }
    }

    // ---- reporting ----

    private IntervalReporter startReporter(StreamCounters counters, List<Interval> intervals) {
        return startReporter(counters, intervals, TestClock.start());
    }

    private IntervalReporter startReporter(StreamCounters counters, List<Interval> intervals, TestClock clock) {
        IntervalReporter reporter = new IntervalReporter(clock, options.intervalNanos(),
                List.of(new ReportedStream(1, false, counters, null)), interval -> {
                    intervals.add(interval);
                    if (options.intervals() != null) {
                        options.intervals().onInterval(interval);
                    }
                });
        reporter.start();
        return reporter;
    }

    private TestResult result(InetSocketAddress client, Protocol proto, List<Interval> intervals, StreamResult stream,
            double seconds) {
        InetSocketAddress local = localAddress();
        Connection connection = new Connection(1, local.getAddress().getHostAddress(), local.getPort(),
                client.getAddress().getHostAddress(), client.getPort());
        TestStart start = new TestStart(false, List.of(connection), Iperf2Client.VERSION, transport.name(),
                System.currentTimeMillis() / 1000, client.getAddress().getHostAddress(), client.getPort(), "", 0, 0,
                0, 0, 0, proto, 1, 0, 0, (long) seconds, 0, 0, false, 0);
        return new TestResult(start, intervals, List.of(stream), false, CpuUtilization.NONE, null, null);
    }

    private static void join(Thread thread) {
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
