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
import dev.tapir.engine.test.Protocol;
import dev.tapir.engine.test.ReportedStream;
import dev.tapir.engine.test.StopSignal;
import dev.tapir.engine.test.StreamCounters;
import dev.tapir.engine.test.TcpReceiver;
import dev.tapir.engine.test.TestClock;
import dev.tapir.engine.test.TestSpec;
import dev.tapir.engine.test.UdpReceiveStats;
import dev.tapir.engine.transport.DatagramEndpoint;
import dev.tapir.engine.transport.DatagramOptions;
import dev.tapir.engine.transport.StreamConnection;
import dev.tapir.engine.transport.StreamListener;
import dev.tapir.engine.transport.StreamOptions;
import dev.tapir.engine.transport.Transport;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * An iperf 2 server ({@code iperf -s [-u]}), wire-compatible with 2.1.8 clients and with 2.0.x UDP senders, on any
 * {@link Transport}. TCP connections are served at once, each on its own thread, as iperf 2 does (an {@code iperf -c
 * -P 2} client opens both streams together; served in turn, the second would sit unread until the first ended), and a
 * client's {@code -r}/{@code -d} is answered with a test back to its listener. UDP clients are served at once too,
 * each sender a test of its own ({@link UdpFlows}), so the streams of {@code iperf -c -u -P 2} get a report each.
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
    /** How often the serving thread looks for UDP flows that began or ended. */
    private static final long EVENT_POLL_NANOS = 1_000_000;
    /** How long a server that stops waits for each TCP test's thread (they notice the stop within a poll). */
    private static final long JOIN_MILLIS = 5_000;

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
    /** Threads serving TCP connections that have not finished yet. */
    private final Set<Thread> active = ConcurrentHashMap.newKeySet();
    private final AtomicInteger nextStreamId = new AtomicInteger();
    private final PrintStream log;
    /** The UDP receiving loop, once serving began. */
    private volatile UdpFlows udpFlows;

    /**
     * Binds at once, so {@link #localAddress()} is known before {@link #serve}; failed TCP tests are logged on
     * stderr.
     */
    public Iperf2Server(Transport transport, InetSocketAddress bind, Protocol protocol, Options options)
            throws IOException {
        this(transport, bind, protocol, options, System.err);
    }

    /** Like the other constructor; a TCP test that fails gets one line on {@code log} and the server goes on. */
    public Iperf2Server(Transport transport, InetSocketAddress bind, Protocol protocol, Options options,
            PrintStream log) throws IOException {
        this.log = log;
        this.transport = transport;
        this.protocol = protocol;
        this.options = options;
        if (protocol == Protocol.TCP) {
            this.listener = transport.listen(bind, options.streamOptions());
            this.endpoint = null;
        } else {
            this.listener = null;
            this.endpoint = transport.bindDatagram(bind, options.datagramOptions());
            // transit and jitter from the kernel's receive times, as 2.1.8 takes them (SO_TIMESTAMP)
            endpoint.stampArrivals();
        }
    }

    public InetSocketAddress localAddress() {
        return listener != null ? listener.localAddress() : endpoint.localAddress();
    }

    /**
     * Datagrams counted and dropped since the server started: garbage (too short, id 0), and those of senders beyond
     * the {@value UdpFlows#MAX_FLOWS} served at once.
     */
    public long droppedDatagrams() {
        UdpFlows flows = udpFlows;
        return flows == null ? 0 : flows.garbage() + flows.refused();
    }

    /**
     * Serves tests until {@link #close()} (from another thread), or returns after the first one when {@code oneOff}
     * (over TCP: once every connection that came while one was being served has ended, so {@code -P} is one test).
     */
    public void serve(boolean oneOff) throws IOException {
        try {
            if (protocol == Protocol.UDP) {
                serveUdp(oneOff);
                return;
            }
            boolean served = false;
            while (!stop.stopped()) {
                served |= acceptTcp();
                if (served && oneOff && active.isEmpty()) {
                    return;
                }
            }
        } finally {
            for (Thread t : active) {
                join(t, JOIN_MILLIS);
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

    /**
     * Serves UDP clients until {@link #close()}, or with {@code oneOff} until a test was reported and answered and no
     * other is in progress (the streams of a client's {@code -P} are tests that run together). The receiving runs on
     * a thread of its own ({@link UdpFlows}); this thread starts each flow's interval reports, reports each test and
     * answers its FIN.
     */
    private void serveUdp(boolean oneOff) throws IOException {
        StopSignal flowsStop = new StopSignal();
        UdpFlows flows = new UdpFlows(endpoint, new Iperf2DatagramCodec(), TestClock.start(), flowsStop,
                nextStreamId, MAX_DATAGRAM);
        udpFlows = flows;
        Thread hot = Thread.ofPlatform().name("tapir-iperf2-udp-receiver").start(flows);
        List<UdpFlows.Flow> answering = new ArrayList<>();
        int inProgress = 0;
        boolean served = false;
        try {
            while (!stop.stopped() && hot.isAlive()
                    && !(oneOff && served && inProgress == 0 && answering.isEmpty())) {
                UdpFlows.Flow flow = flows.poll();
                if (flow == null) {
                    answerFins(answering);
                    LockSupport.parkNanos(EVENT_POLL_NANOS);
                    continue;
                }
                if (!flow.begun) {
                    flow.begun = true;
                    inProgress++;
                    if (options.intervalNanos() > 0) {
                        flow.reporter = startReporter(flow.id, flow.counters, flow.intervals, TestClock.start());
                    }
                }
                if (flow.ended() && flow.report == null && !flow.reported()) {
                    inProgress--;
                    if (finish(flow)) {
                        served = true;
                        answering.add(flow);
                    } else {
                        flow.markReported();
                    }
                }
            }
        } finally {
            flowsStop.stop();
            join(hot);
        }
        if (flows.failure() != null && !stop.stopped()) {
            throw flows.failure();
        }
    }

    /**
     * A flow ended: without its FIN it was abandoned (false); with it, reports the test and sends the server report
     * (true), which {@link #answerFins} sends again while the client asks.
     */
    private boolean finish(UdpFlows.Flow flow) {
        if (flow.reporter != null) {
            flow.reporter.stop(true);
        }
        if (!flow.finReceived()) {
            return false;
        }
        UdpReceiveStats stats = flow.stats;
        long micros = Math.max(1, (flow.counters.endNanos() - flow.firstArrivalNanos) / 1_000);
        flow.report = Arena.ofAuto().allocate(ServerReport.LENGTH, 8);
        writeReport(flow.report, stats, micros, flow.tripTimes);
        sendReport(flow);
        double seconds = micros / 1e6;
        UdpFigures udp = new UdpFigures(stats.jitterMillis(), stats.lost(), stats.highestSequence(),
                stats.outOfOrder());
        StreamResult stream = new StreamResult(flow.id, Transfer.NONE, Transfer.of(0, seconds, stats.bytes()),
                TcpFigures.UNKNOWN, udp, 0, false);
        options.results().accept(result(flow.id, flow.client, Protocol.UDP, flow.intervals, stream, seconds));
        return true;
    }

    /**
     * Fills {@code report} with the report 2.1.8 would send for these figures; {@code extended} (the client asked
     * for trip times) marks the transit figures for the client to print as latency.
     */
    private static void writeReport(MemorySegment report, UdpReceiveStats stats, long micros, boolean extended) {
        long datagrams = stats.highestSequence();
        long transits = stats.transitCount();
        double mean = stats.meanTransitMicros();
        new ServerReport().wrap(report, 0).clear()
                .flags(ServerReport.FLAGS | (extended ? ServerReport.SERVER_HEADER_EXTEND : 0))
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
     * Answers FINs as 2.1.8 does: after each report write the server waits {@link #SILENCE_MILLIS} for silence; a
     * datagram from the client in that time (it re-sends its FIN until a report reaches it) gets the report again, at
     * most {@link #REPORT_WRITES} writes in all. A flow whose silence has come is done.
     */
    private void answerFins(List<UdpFlows.Flow> answering) {
        long now = System.nanoTime();
        for (int i = answering.size() - 1; i >= 0; i--) {
            UdpFlows.Flow flow = answering.get(i);
            long asked = flow.datagramsAfterEnd();
            if (asked > flow.answeredDatagrams && flow.reportWrites < REPORT_WRITES) {
                flow.answeredDatagrams = asked;
                sendReport(flow);
            } else if (now - flow.lastReportNanos >= TimeUnit.MILLISECONDS.toNanos(SILENCE_MILLIS)
                    || flow.reportWrites >= REPORT_WRITES) {
                flow.markReported();
                answering.remove(i);
            }
        }
    }

    /** One write of the flow's report to its client; a failure is one line (the client will ask again). */
    private void sendReport(UdpFlows.Flow flow) {
        flow.reportWrites++;
        flow.lastReportNanos = System.nanoTime();
        try {
            endpoint.sendTo(flow.report, 0, ServerReport.LENGTH, flow.client);
        } catch (IOException e) {
            log.println("tapir iperf 2 server: " + flow.client + ": report not sent: " + e.getMessage());
        }
    }

    // ---- TCP ----

    /** Takes the next TCP connection, if one comes within a poll, and serves it on its own thread. */
    private boolean acceptTcp() throws IOException {
        StreamConnection connection = listener.accept(StopSignal.POLL_MILLIS);
        if (connection == null) {
            return false;
        }
        Thread thread = Thread.ofPlatform().name("tapir-iperf2-tcp-" + connection.remoteAddress().getPort())
                .unstarted(() -> {
                    try {
                        serveTcp(connection);
                    } catch (IOException e) {
                        log.println("tapir iperf 2 server: " + connection.remoteAddress() + ": " + e.getMessage());
                    } finally {
                        active.remove(Thread.currentThread());
                    }
                });
        active.add(thread);
        thread.start();
        return true;
    }

    private void serveTcp(StreamConnection connection) throws IOException {
        try (connection) {
            StreamCounters counters = new StreamCounters();
            TestClock clock = TestClock.start();
            // its own buffer: connections are served concurrently
            HeaderRead header = readClientHeader(connection, Arena.ofAuto().allocate(ClientHeader.LENGTH, 8));
            counters.addBytes(header.bytes());
            InetSocketAddress client = connection.remoteAddress();
            boolean connectBack = (header.flags() & ClientHeader.HEADER_VERSION1) != 0;
            boolean dual = connectBack && (header.flags() & ClientHeader.RUN_NOW) != 0;
            Thread both = null;
            if (dual) {
                both = Thread.ofPlatform().name("tapir-iperf2-dual-" + client.getPort())
                        .start(() -> connectBack(client, header));
            }
            List<Interval> intervals = new ArrayList<>();
            TcpReceiver receiver = new TcpReceiver(connection, counters, stop);
            // numbered as iperf 2 numbers a client's -P streams
            int id = nextStreamId.incrementAndGet();
            IntervalReporter reporter = options.intervalNanos() > 0
                    ? startReporter(id, counters, intervals, clock) : null;
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
            StreamResult stream = new StreamResult(id, Transfer.NONE, Transfer.of(0, seconds, counters.bytes()),
                    TcpFigures.UNKNOWN, null, 0, false);
            options.results().accept(result(id, connection.remoteAddress(), Protocol.TCP, intervals, stream,
                    seconds));
            if (both != null) {
                join(both);
            } else if (connectBack) {
                connectBack(client, header);
            }
        }
    }

    /** What the client header said: the bytes it took, its flags, and for -r/-d where and how much to send back. */
    private record HeaderRead(long bytes, int flags, int port, int bufLen, int amount) {
        static HeaderRead none(long bytes) {
            return new HeaderRead(bytes, 0, 0, 0, 0);
        }
    }

    /**
     * The other half of {@code -r} (after the client's test) and {@code -d} (during it), as a 2.1.8 server runs it:
     * a test of the same amount from here to the client's listener (its {@code -L} port, carried in the header), sent
     * as an iperf 2 client that asks for nothing back. The result is reported like any other; a failure is one line.
     */
    private void connectBack(InetSocketAddress client, HeaderRead header) {
        InetSocketAddress back = new InetSocketAddress(client.getAddress(), header.port());
        long duration = header.amount() < 0 ? -(long) header.amount() * 10_000_000L : 0;
        long bytes = header.amount() > 0 ? header.amount() : 0;
        int length = header.bufLen() > 0 ? header.bufLen() : Iperf2Client.DEFAULT_TCP_LENGTH;
        TestSpec spec = new TestSpec(Protocol.TCP, length, bytes, 0, duration, options.intervalNanos(), 0, 1, false,
                false, options.streamOptions(), options.datagramOptions(), false);
        try {
            options.results().accept(Iperf2Client.run(transport, back, spec, options.intervals(), log));
        } catch (IOException | RuntimeException e) {
            log.println("tapir iperf 2 server: " + client + " asked for " + ((header.flags() & ClientHeader.RUN_NOW)
                    != 0 ? "-d" : "-r") + ", but connecting back to port " + header.port() + " failed: "
                    + e.getMessage());
        }
    }

    /**
     * Reads the client header the way 2.1.8's listener does: the first word decides. A 2.1.x header (HEADER_EXTEND)
     * is 60 bytes and is acknowledged; a 2.0.x header (HEADER_VERSION1 only) is 24 bytes; anything else is data.
     * Returns the bytes consumed, all of which count as received (2.1.8 counts them too), and the fields a -r/-d
     * request needs.
     */
    private static HeaderRead readClientHeader(StreamConnection connection, MemorySegment head) throws IOException {
        int got = readFully(connection, head, 0, 4);
        if (got < 4) {
            return HeaderRead.none(got);
        }
        int flags = head.get(Wire.INT, 0);
        if (!ClientHeader.plausibleFlags(flags)) {
            return HeaderRead.none(got);
        }
        int length = (flags & ClientHeader.HEADER_EXTEND) != 0 ? ClientHeader.LENGTH : ClientHeader.V1_LENGTH;
        got += readFully(connection, head, 4, length - 4);
        if (got < length) {
            return HeaderRead.none(got);
        }
        ClientHeader h = new ClientHeader().wrap(head, 0);
        HeaderRead read = new HeaderRead(got, flags, h.port(), h.bufLen(), h.amount());
        if ((flags & ClientHeader.HEADER_EXTEND) != 0) {
            new ClientHeaderAck().wrap(head, 0).writeAs218();
            writeFully(connection, head, ClientHeaderAck.LENGTH);
        }
        return read;
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

    private IntervalReporter startReporter(int id, StreamCounters counters, List<Interval> intervals,
            TestClock clock) {
        IntervalReporter reporter = new IntervalReporter(clock, options.intervalNanos(),
                List.of(new ReportedStream(id, false, counters, null)), interval -> {
                    intervals.add(interval);
                    if (options.intervals() != null) {
                        options.intervals().onInterval(interval);
                    }
                });
        reporter.start();
        return reporter;
    }

    private TestResult result(int id, InetSocketAddress client, Protocol proto, List<Interval> intervals,
            StreamResult stream, double seconds) {
        InetSocketAddress local = localAddress();
        Connection connection = new Connection(id, AddressText.of(local.getAddress()), local.getPort(),
                AddressText.of(client.getAddress()), client.getPort());
        TestStart start = new TestStart(false, List.of(connection), Iperf2Client.VERSION, transport.name(),
                System.currentTimeMillis() / 1000, AddressText.of(client.getAddress()), client.getPort(), "", 0, 0,
                0, 0, 0, proto, 1, 0, 0, (long) seconds, 0, 0, false, 0);
        return new TestResult(start, intervals, List.of(stream), false, CpuUtilization.NONE, null, null);
    }

    private static void join(Thread thread) {
        join(thread, 0);
    }

    private static void join(Thread thread, long millis) {
        try {
            thread.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
