package dev.tapir.engine.iperf3;

import dev.tapir.engine.report.AddressText;
import dev.tapir.engine.report.Connection;
import dev.tapir.engine.report.ReportSink;
import dev.tapir.engine.report.TestResult;
import dev.tapir.engine.report.TestStart;
import dev.tapir.engine.test.Protocol;
import dev.tapir.engine.test.TestSpec;
import dev.tapir.engine.test.VerifyPattern;
import dev.tapir.engine.transport.DatagramBatch;
import dev.tapir.engine.transport.DatagramEndpoint;
import dev.tapir.engine.transport.StreamConnection;
import dev.tapir.engine.transport.TcpStats;
import dev.tapir.engine.transport.Transport;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The client side of iperf3's protocol: runs one test against an iperf3 3.12 server (or a tapir server) through a
 * {@link Transport}, and returns this side's report. The client decides when the test ends and always sends TEST_END.
 */
public final class Iperf3Client {
    /**
     * Client settings beyond the test itself.
     *
     * @param getServerOutput ask the server for its output ({@code --get-server-output})
     * @param udpCounters64bit 64-bit UDP counters ({@code --udp-counters-64bit})
     * @param controlTimeoutMillis how long to wait for each control step of the server (and for connects)
     * @param verifySeed seed of the {@code --verify} pattern, used when the test spec asks to verify
     * @param omitSeconds {@code -O}: a timed test runs this much longer, a {@code -n}/{@code -k} test sends its
     *     limit after it (in {@code -R} it ends once the limit has arrived, the omitted start included, as iperf3's
     *     client does); this start is reported as omitted and left out of the totals
     * @param udpLengthFromMss no {@code -l} was given: a UDP test's datagrams are as long as the control connection's
     *     MSS, as iperf3 sizes them (32 KiB on loopback, 1448 on an Ethernet path with timestamps); the spec's length
     *     stays where the transport cannot tell
     */
    public record Options(boolean getServerOutput, boolean udpCounters64bit, int controlTimeoutMillis,
            long verifySeed, int omitSeconds, boolean udpLengthFromMss) {
        public static final Options DEFAULT = new Options(false, false, 30_000);

        /** Options with the length the spec gives. */
        public Options(boolean getServerOutput, boolean udpCounters64bit, int controlTimeoutMillis, long verifySeed,
                int omitSeconds) {
            this(getServerOutput, udpCounters64bit, controlTimeoutMillis, verifySeed, omitSeconds, false);
        }

        /** Options without {@code -O}. */
        public Options(boolean getServerOutput, boolean udpCounters64bit, int controlTimeoutMillis, long verifySeed) {
            this(getServerOutput, udpCounters64bit, controlTimeoutMillis, verifySeed, 0);
        }

        /** Options with verify seed 1 (it matters only for a test that verifies). */
        public Options(boolean getServerOutput, boolean udpCounters64bit, int controlTimeoutMillis) {
            this(getServerOutput, udpCounters64bit, controlTimeoutMillis, 1);
        }
    }

    /** What the server said besides the results: its output when asked for ({@code --get-server-output}). */
    public record Outcome(TestResult result, Iperf3Results serverResults) {
    }

    private static final ValueLayout.OfInt WIRE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    /** In -R with -n/-k over UDP: this long without a datagram after the first one ends the test (the rest was lost). */
    private static final long UDP_SILENCE_NANOS = 1_000_000_000L;
    /** How long one wait for the UDP connect answer lasts before the control connection is looked at. */
    private static final int UDP_CONNECT_POLL_MILLIS = 50;

    private final Transport transport;
    private final Options options;
    private volatile boolean running;
    private volatile boolean endRequested;
    /** The server's TEST_START came while the last UDP stream waited for its connect answer (run's thread only). */
    private boolean testStartRead;

    public Iperf3Client(Transport transport, Options options) {
        this.transport = transport;
        this.options = options;
    }

    /** The control connection's MSS (iperf3 reads TCP_MAXSEG), 0 where the transport cannot tell. */
    private static int mss(StreamConnection control) {
        TcpStats stats = new TcpStats();
        return control.tcpStats(stats) ? stats.sendMss : 0;
    }

    /** Runs {@code spec} against {@code server}; {@code sink} gets interval reports as they happen (may be null). */
    public Outcome run(InetSocketAddress server, TestSpec spec, ReportSink sink) throws IOException {
        int timeout = options.controlTimeoutMillis();
        Cookie cookie = Cookie.random();
        StreamConnection control = transport.connect(server, null, dev.tapir.engine.transport.StreamOptions.DEFAULT,
                timeout);
        // as iperf3 does: a state byte must not wait for the server's delayed ACK of the one before
        control.sendAtOnce();
        int controlMss = mss(control);
        if (spec.protocol() == Protocol.UDP && options.udpLengthFromMss() && controlMss > 0) {
            spec = spec.withLength(Math.min(controlMss, TestSpec.MAX_UDP_LENGTH));
        }
        long omitNanos = options.omitSeconds() * 1_000_000_000L;
        // as iperf3's client: the omitted start comes on top of -t, and of -n/-k when this side sends (SendLimit)
        TestSpec runSpec = omitNanos > 0 && spec.timed() ? spec.withDuration(spec.durationNanos() + omitNanos) : spec;
        try (ControlChannel channel = new ControlChannel(control);
                TestRun run = new TestRun(runSpec, options.udpCounters64bit(),
                        spec.verify() ? new VerifyPattern(options.verifySeed()) : null, sink, omitNanos)) {
            channel.writeCookie(cookie, timeout);
            expect(channel, ControlState.PARAM_EXCHANGE, timeout);
            channel.writeJson(parameters(spec).toJson(), timeout);
            expect(channel, ControlState.CREATE_STREAMS, timeout);
            testStartRead = false;
            List<Connection> connected = createStreams(server, spec, cookie, run, channel, timeout);
            // The start report and the loops are made now, while the server prepares its own: its clock starts once
            // it has sent TEST_RUNNING, and all this side does after that counts in the server's time.
            TestStart start = Iperf3Reports.start(true, connected, System.currentTimeMillis() / 1000,
                    AddressText.of(server.getAddress()), server.getPort(), cookie, spec, options.omitSeconds(),
                    controlMss);
            if (sink != null) {
                sink.onStart(start);
            }
            run.prepare(false, "tapir-iperf3-client");
            if (!testStartRead) {
                expect(channel, ControlState.TEST_START, timeout);
            }
            expect(channel, ControlState.TEST_RUNNING, timeout);
            run.start();
            running = true;
            awaitEnd(channel, runSpec, run);
            running = false;
            run.stopSending();
            channel.writeState(ControlState.TEST_END, timeout);
            // The server stops its senders on TEST_END, so receivers drain only after it went out.
            run.finishReceiving();
            expect(channel, ControlState.EXCHANGE_RESULTS, timeout);
            channel.writeJson(run.localResults(spec.protocol() == Protocol.TCP).toJson(), timeout);
            Iperf3Results peer = Iperf3Results.fromJson(channel.readJson(ControlChannel.RESULTS_LIMIT, timeout,
                    "the server's results"));
            expect(channel, ControlState.DISPLAY_RESULTS, timeout);
            channel.writeState(ControlState.IPERF_DONE, timeout);
            String failure = run.failure();
            if (failure != null) {
                throw new Iperf3ProtocolException("data stream failed: " + failure);
            }
            if (spec.verify() && peer.verification() == null) {
                throw new Iperf3ProtocolException("--verify: the server did not verify the data (it is not a tapir "
                        + "server; verify needs tapir at both ends)");
            }
            boolean localSender = !spec.reverse();
            return new Outcome(run.result(start, localSender, peer), peer);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Iperf3ProtocolException("interrupted");
        }
    }

    /**
     * Ends the running test now, as if its time were up (Ctrl-C): the client sends TEST_END, exchanges results and
     * returns the report of what moved so far. Callable from any thread; returns whether a test was running (before
     * and after one there is nothing to end).
     */
    public boolean endEarly() {
        endRequested = true;
        return running;
    }

    /** The parameters iperf3 3.12 would send for {@code spec}. */
    Iperf3Parameters parameters(TestSpec spec) {
        boolean udp = spec.protocol() == Protocol.UDP;
        int window = udp ? spec.datagramOptions().bufferBytes() : spec.streamOptions().windowBytes();
        // iperf3 only knows whole seconds; a shorter test is ended by this client's own clock anyway.
        int seconds = spec.timed() ? (int) Math.max(1, (spec.durationNanos() + 999_999_999L) / 1_000_000_000L) : 0;
        return new Iperf3Parameters(udp, options.omitSeconds(), seconds, spec.bytes(), spec.blocks(),
                spec.streamOptions().mss(), spec.streamOptions().noDelay(), spec.streams(), spec.reverse(),
                spec.bidirectional(), window, spec.length(), spec.rateBitsPerSecond(), 1000,
                spec.streamOptions().congestion(), options.getServerOutput(), options.udpCounters64bit(),
                Iperf3Parameters.VERSION, spec.verify() ? options.verifySeed() : null);
    }

    /** Opens the data streams: with --bidir first the ones this side sends on, then the ones it receives on. */
    private List<Connection> createStreams(InetSocketAddress server, TestSpec spec, Cookie cookie, TestRun run,
            ControlChannel channel, int timeout) throws IOException {
        List<Connection> connected = new ArrayList<>();
        int total = spec.bidirectional() ? 2 * spec.streams() : spec.streams();
        for (int i = 0; i < total; i++) {
            boolean sending = spec.bidirectional() ? i < spec.streams() : !spec.reverse();
            int id = DataStream.idOf(i);
            DataStream stream;
            if (spec.protocol() == Protocol.TCP) {
                StreamConnection c = transport.connect(server, null, spec.streamOptions(), timeout);
                stream = new DataStream(id, sending, c, null, TestRun.countersFor(spec, sending));
                run.streams.add(stream);
                writeCookie(c, cookie, timeout);
                connected.add(new Connection(id, AddressText.of(c.localAddress().getAddress()),
                        c.localAddress().getPort(), AddressText.of(c.remoteAddress().getAddress()),
                        c.remoteAddress().getPort()));
            } else {
                InetSocketAddress any = new InetSocketAddress(server.getAddress() instanceof java.net.Inet6Address
                        ? "::" : "0.0.0.0", 0);
                DatagramEndpoint e = transport.bindDatagram(any, spec.datagramOptions());
                stream = new DataStream(id, sending, null, e, TestRun.countersFor(spec, sending));
                run.streams.add(stream);
                e.connect(server);
                udpConnect(e, channel, timeout);
                connected.add(new Connection(id, AddressText.of(e.localAddress().getAddress()),
                        e.localAddress().getPort(), AddressText.of(server.getAddress()), server.getPort()));
            }
        }
        return connected;
    }

    private static void writeCookie(StreamConnection c, Cookie cookie, int timeout) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment wire = arena.allocateFrom(ValueLayout.JAVA_BYTE, cookie.wire());
            long done = 0;
            long deadline = System.nanoTime() + timeout * 1_000_000L;
            while (done < Cookie.SIZE) {
                if (System.nanoTime() - deadline > 0) {
                    throw new Iperf3ProtocolException("timed out sending the cookie on a data connection");
                }
                done += c.write(wire, done, (int) (Cookie.SIZE - done), timeout);
            }
        }
    }

    /**
     * Sends "9876" until the server answers "6789" (or the legacy reply), as the iperf3 client does once. Watches the
     * control connection meanwhile: a server that fails while it sets up the streams says so there at once, and one
     * that has all its streams sends TEST_START even if its reply datagram was lost on the way.
     */
    private void udpConnect(DatagramEndpoint e, ControlChannel channel, int timeout) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment request = arena.allocate(UdpConnect.LENGTH);
            request.set(WIRE_INT, 0, UdpConnect.REQUEST);
            e.send(request, 0, UdpConnect.LENGTH, 1);
            DatagramBatch batch = new DatagramBatch(arena.allocate(64 * 1024), 1);
            long deadline = System.nanoTime() + timeout * 1_000_000L;
            while (System.nanoTime() - deadline < 0) {
                if (e.receive(batch, UDP_CONNECT_POLL_MILLIS) == 0) {
                    int state = channel.pollState(0, "the answer to the UDP connect datagram");
                    if (state == ControlState.TEST_START) {
                        testStartRead = true;
                        return;
                    }
                    if (state != Integer.MIN_VALUE) {
                        failOn((byte) state, channel, timeout);
                    }
                    continue;
                }
                if (batch.length(0) >= UdpConnect.LENGTH) {
                    int reply = batch.buffer().get(WIRE_INT, batch.offset(0));
                    if (reply == UdpConnect.REPLY || reply == UdpConnect.LEGACY_REPLY) {
                        return;
                    }
                }
            }
            throw new Iperf3ProtocolException("the server did not answer the UDP connect datagram within "
                    + timeout + " ms");
        }
    }

    /**
     * Waits until the test is over: the duration passed, or -n/-k were sent (or, in -R, received). Watches the
     * control connection meanwhile, since the server may abort the test.
     */
    private void awaitEnd(ControlChannel channel, TestSpec spec, TestRun run) throws IOException {
        // The senders' own deadline: starting the loops can take a while on a loaded machine.
        long deadline = spec.timed() ? run.streams.clock().deadline(spec.durationNanos()) : System.nanoTime();
        boolean udp = spec.protocol() == Protocol.UDP;
        // what -R waits for: as iperf3's client, everything received counts, the omitted start included; but like
        // iperf3's, a test does not end while its start is being omitted
        long limit = udp ? spec.datagramLimit() * spec.length() : spec.byteLimit();
        long omitEnd = run.streams.clock().startNanos() + options.omitSeconds() * 1_000_000_000L;
        boolean sends = !spec.reverse() || spec.bidirectional();
        long received = 0;
        long lastArrival = System.nanoTime();
        while (!endRequested) {
            long now = System.nanoTime();
            long bytes = run.streams.bytesReceived();
            if (bytes != received) {
                received = bytes;
                lastArrival = now;
            }
            if (spec.timed()) {
                if (now - deadline >= 0) {
                    return;
                }
            } else if (now - omitEnd >= 0 && ((sends && run.streams.sendersFinished())
                    || (!sends || spec.bidirectional()) && (bytes >= limit
                            || udp && bytes > 0 && now - lastArrival >= UDP_SILENCE_NANOS))) {
                // UDP has no retransmission: once datagrams stop coming, the ones still missing were lost.
                return;
            }
            if (run.failure() != null && run.streams.sendersFinished()) {
                return;
            }
            // a timed test ends at its deadline, not up to a poll period after it (the server's clock runs on)
            int wait = spec.timed() ? (int) Math.clamp((deadline - now + 999_999) / 1_000_000, 1, 20) : 20;
            int state = channel.pollState(wait, "the end of the test");
            if (state != Integer.MIN_VALUE) {
                failOn((byte) state, channel, options.controlTimeoutMillis());
            }
        }
    }

    private static void expect(ControlChannel channel, byte expected, int timeout) throws IOException {
        byte state = channel.readState(timeout, ControlState.name(expected));
        if (state != expected) {
            failOn(state, channel, timeout);
        }
    }

    /** Turns an unexpected state from the server into the error iperf3's client would print. */
    private static void failOn(byte state, ControlChannel channel, int timeout) throws IOException {
        switch (state) {
            case ControlState.ACCESS_DENIED -> throw new Iperf3ProtocolException(
                    "the server is busy running a test. try again later");
            case ControlState.SERVER_ERROR -> {
                int iperfErrno = channel.readInt(timeout, "the server's error code");
                int errno = channel.readInt(timeout, "the server's errno");
                throw new Iperf3ProtocolException(ServerErrors.describe(iperfErrno, errno));
            }
            case ControlState.SERVER_TERMINATE -> throw new Iperf3ProtocolException("the server has terminated");
            default -> throw new Iperf3ProtocolException("the server sent an unexpected state "
                    + ControlState.name(state));
        }
    }
}
