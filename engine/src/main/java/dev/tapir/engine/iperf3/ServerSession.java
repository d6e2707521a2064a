package dev.tapir.engine.iperf3;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tapir.engine.report.AddressText;
import dev.tapir.engine.report.Connection;
import dev.tapir.engine.report.TestResult;
import dev.tapir.engine.report.TestStart;
import dev.tapir.engine.test.Protocol;
import dev.tapir.engine.test.TestSpec;
import dev.tapir.engine.test.VerifyPattern;
import dev.tapir.engine.transport.DatagramBatch;
import dev.tapir.engine.transport.DatagramEndpoint;
import dev.tapir.engine.transport.DatagramOptions;
import dev.tapir.engine.transport.StreamConnection;
import dev.tapir.engine.transport.StreamOptions;
import dev.tapir.engine.transport.Transport;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One client's test on the server, from the cookie to IPERF_DONE, on its own thread. Every failure ends in one log
 * line and the release of everything the test held (threads, connections, endpoints, off-heap buffers).
 */
final class ServerSession implements Runnable {
    /** iperf3's i_errno for "unable to receive parameters from client", sent with SERVER_ERROR. */
    private static final int IERECVPARAMS = 114;
    private static final int EINVAL = 22;
    private static final ValueLayout.OfInt WIRE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final Transport transport;
    private final InetSocketAddress local;
    private final ControlChannel channel;
    private final Iperf3Server.Options options;
    private final Iperf3Server.Output output;
    private final PrintStream log;
    private final String peer;
    private final LinkedBlockingQueue<StreamConnection> pending = new LinkedBlockingQueue<>();
    private volatile boolean acceptingStreams;
    private volatile boolean aborted;
    private volatile boolean finishing;

    ServerSession(Transport transport, InetSocketAddress local, StreamConnection control, Iperf3Server.Options options,
            Iperf3Server.Output output, PrintStream log) {
        this.transport = transport;
        this.local = local;
        this.channel = new ControlChannel(control);
        this.options = options;
        this.output = output;
        this.log = log;
        InetSocketAddress remote = control.remoteAddress();
        this.peer = AddressText.of(remote.getAddress()) + " port " + remote.getPort();
    }

    /** Takes a TCP connection that may be one of this test's data streams; false when the test takes none now. */
    boolean offerDataConnection(StreamConnection c) {
        if (!acceptingStreams) {
            return false;
        }
        pending.add(c);
        return true;
    }

    /** True once the results went out or the test failed: the next connection is a new client. */
    boolean finishing() {
        return finishing;
    }

    void abort() {
        aborted = true;
    }

    @Override
    public void run() {
        TestRun run = null;
        try {
            int timeout = options.controlTimeoutMillis();
            // as iperf3 does: TEST_RUNNING must not wait for the client's delayed ACK of TEST_START (40 ms in
            // which a reverse test's data already flows into a client that does not read yet)
            channel.connection().sendAtOnce();
            Cookie cookie = channel.readCookie(timeout);
            channel.writeState(ControlState.PARAM_EXCHANGE, timeout);
            var json = channel.readJson(ControlChannel.PARAMS_LIMIT, timeout, "the parameters");
            Iperf3Parameters params;
            TestSpec spec;
            try {
                params = Iperf3Parameters.fromJson(json);
                spec = toSpec(params, options.intervalNanos());
            } catch (Iperf3ProtocolException | IllegalArgumentException e) {
                serverError();
                throw new Iperf3ProtocolException("bad parameters: " + e.getMessage());
            }
            VerifyPattern pattern = params.verifySeed() == null ? null : new VerifyPattern(params.verifySeed());
            run = new TestRun(spec, params.udpCounters64bit(), pattern, output::interval,
                    params.omitSeconds() * 1_000_000_000L);
            List<Connection> connected = acceptStreams(params, spec, cookie, run, timeout);
            long timeSecs = System.currentTimeMillis() / 1000;
            InetSocketAddress remote = channel.connection().remoteAddress();
            TestStart start = Iperf3Reports.start(false, connected, timeSecs, AddressText.of(remote.getAddress()),
                    remote.getPort(), cookie, spec, params.omitSeconds(), 0);
            output.started(start);
            run.prepare(true, "tapir-iperf3-server");
            channel.writeState(ControlState.TEST_START, timeout);
            channel.writeState(ControlState.TEST_RUNNING, timeout);
            run.start();
            if (!awaitTestEnd(run)) {
                return;
            }
            run.stopSending();
            run.finishReceiving();
            channel.writeState(ControlState.EXCHANGE_RESULTS, timeout);
            Iperf3Results client = Iperf3Results.fromJson(
                    channel.readJson(ControlChannel.RESULTS_LIMIT, timeout, "the client's results"));
            TestResult result = run.result(start, spec.reverse(), client);
            Iperf3Results own = run.localResults(spec.protocol() == Protocol.TCP);
            if (params.getServerOutput()) {
                own = withOutput(own, output.render(result));
            }
            channel.writeJson(own.toJson(), timeout);
            channel.writeState(ControlState.DISPLAY_RESULTS, timeout);
            finishing = true;
            output.result(result);
            String failure = run.failure();
            if (failure != null) {
                log.println("tapir iperf3 server: " + peer + ": data stream failed: " + failure);
            }
            if (result.verification() != null && result.verification().failed()) {
                log.println("tapir iperf3 server: " + peer + ": " + result.verification().line());
            }
            awaitDone(timeout);
        } catch (IOException e) {
            log.println("tapir iperf3 server: " + peer + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            // From here on the test is over: a new connection is the next client, not a busy-server case.
            finishing = true;
            acceptingStreams = false;
            if (run != null) {
                run.close();
            }
            StreamConnection c;
            while ((c = pending.poll()) != null) {
                c.close();
            }
            channel.close();
        }
    }

    /** Answers parameters tapir cannot run with SERVER_ERROR, so an iperf3 client prints a reason. */
    private void serverError() {
        try {
            channel.writeState(ControlState.SERVER_ERROR, 1_000);
            channel.writeInt(IERECVPARAMS, 1_000);
            channel.writeInt(EINVAL, 1_000);
        } catch (IOException e) {
            // The client is gone; the log line about the parameters says enough.
        }
    }

    static TestSpec toSpec(Iperf3Parameters p, long intervalNanos) {
        Protocol protocol = p.udp() ? Protocol.UDP : Protocol.TCP;
        long duration = (p.bytes() > 0 || p.blocks() > 0) ? 0 : Math.max(1, p.timeSeconds()) * 1_000_000_000L;
        StreamOptions stream = new StreamOptions(p.window(), p.mss(), p.noDelay(), p.congestion());
        DatagramOptions datagram = new DatagramOptions(p.window(), true);
        return new TestSpec(protocol, p.length(), p.bytes(), p.blocks(), duration, intervalNanos, p.bandwidth(), p.parallel(),
                p.reverse(), p.bidirectional(), stream, datagram, p.verifySeed() != null);
    }

    /**
     * CREATE_STREAMS, then the data streams in iperf3's order: first those the server receives on, then those it
     * sends on. TCP streams come through the listener and must start with this test's cookie; UDP streams open with
     * a connect datagram on the server's port.
     */
    private List<Connection> acceptStreams(Iperf3Parameters params, TestSpec spec, Cookie cookie, TestRun run,
            int timeout) throws IOException, InterruptedException {
        int perDirection = spec.streams();
        int total = spec.bidirectional() ? 2 * perDirection : perDirection;
        List<Connection> connected = new ArrayList<>();
        acceptingStreams = spec.protocol() == Protocol.TCP;
        // Like iperf3, the UDP socket for the first stream listens before CREATE_STREAMS goes out.
        DatagramEndpoint next = spec.protocol() == Protocol.UDP
                ? transport.bindDatagram(local, spec.datagramOptions()) : null;
        try {
            channel.writeState(ControlState.CREATE_STREAMS, timeout);
            acceptEach(spec, cookie, run, timeout, total, perDirection, connected, next);
        } finally {
            acceptingStreams = false;
        }
        return connected;
    }

    private void acceptEach(TestSpec spec, Cookie cookie, TestRun run, int timeout, int total, int perDirection,
            List<Connection> connected, DatagramEndpoint firstEndpoint) throws IOException, InterruptedException {
        DatagramEndpoint next = firstEndpoint;
        try {
        for (int i = 0; i < total; i++) {
            boolean sending = spec.bidirectional() ? i >= perDirection : spec.reverse();
            int id = DataStream.idOf(i);
            if (spec.protocol() == Protocol.TCP) {
                StreamConnection c = nextDataConnection(cookie, timeout);
                run.streams.add(new DataStream(id, sending, c, null, TestRun.countersFor(spec, sending)));
                connected.add(new Connection(id, AddressText.of(c.localAddress().getAddress()),
                        c.localAddress().getPort(), AddressText.of(c.remoteAddress().getAddress()),
                        c.remoteAddress().getPort()));
            } else {
                DatagramEndpoint e = next;
                next = null;
                run.streams.add(new DataStream(id, sending, null, e, TestRun.countersFor(spec, sending)));
                InetSocketAddress client = udpAwaitConnect(e, timeout);
                if (i + 1 < total) {
                    // The next stream's socket must listen before this reply lets the client open it.
                    next = transport.bindDatagram(local, spec.datagramOptions());
                }
                udpReply(e);
                connected.add(new Connection(id, AddressText.of(e.localAddress().getAddress()),
                        e.localAddress().getPort(), AddressText.of(client.getAddress()), client.getPort()));
            }
        }
        } finally {
            if (next != null) {
                next.close();
            }
        }
    }

    /** Waits for a data connection carrying this test's cookie; others get ACCESS_DENIED, as iperf3 does. */
    private StreamConnection nextDataConnection(Cookie cookie, int timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout * 1_000_000L;
        while (!aborted) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new Iperf3ProtocolException("timed out after " + timeout + " ms waiting for data connections");
            }
            StreamConnection c = pending.poll(Math.min(left, 100_000_000L), TimeUnit.NANOSECONDS);
            if (c == null) {
                int state = channel.pollState(0, "data connections");
                if (state != Integer.MIN_VALUE) {
                    throw new Iperf3ProtocolException("unexpected state " + ControlState.name((byte) state)
                            + " while waiting for data connections");
                }
                continue;
            }
            byte[] wire = readCookie(c, (int) Math.max(1, left / 1_000_000L));
            Cookie got = wire == null ? null : Cookie.parse(wire);
            if (cookie.equals(got)) {
                return c;
            }
            log.println("tapir iperf3 server: " + peer + ": a data connection with a wrong cookie was denied");
            deny(c);
        }
        throw new Iperf3ProtocolException("server shutting down");
    }

    private static byte[] readCookie(StreamConnection c, int timeout) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(Cookie.SIZE);
            long deadline = System.nanoTime() + timeout * 1_000_000L;
            int done = 0;
            while (done < Cookie.SIZE) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) {
                    return null;
                }
                int n = c.read(buf, done, Cookie.SIZE - done, (int) left);
                if (n == StreamConnection.EOF) {
                    return null;
                }
                done += n;
            }
            return buf.toArray(ValueLayout.JAVA_BYTE);
        }
    }

    private static void deny(StreamConnection c) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment b = arena.allocate(1);
            b.set(ValueLayout.JAVA_BYTE, 0, ControlState.ACCESS_DENIED);
            c.write(b, 0, 1, 100);
        } catch (IOException e) {
            // Nothing more to tell a client that is gone.
        } finally {
            c.close();
        }
    }

    /**
     * Like iperf3 3.12: the first datagram on the server's UDP port (content unchecked) opens the stream, and the
     * endpoint connects to its sender.
     */
    private InetSocketAddress udpAwaitConnect(DatagramEndpoint e, int timeout) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            DatagramBatch batch = new DatagramBatch(arena.allocate(64 * 1024), 1);
            long deadline = System.nanoTime() + timeout * 1_000_000L;
            while (!aborted && System.nanoTime() - deadline < 0) {
                if (e.receive(batch, 100) > 0) {
                    InetSocketAddress client = e.lastSource();
                    e.connect(client);
                    return client;
                }
                int state = channel.pollState(0, "UDP streams");
                if (state != Integer.MIN_VALUE) {
                    throw new Iperf3ProtocolException("unexpected state " + ControlState.name((byte) state)
                            + " while waiting for UDP streams");
                }
            }
            throw new Iperf3ProtocolException("timed out after " + timeout + " ms waiting for UDP streams");
        }
    }

    /** Answers the connect datagram with "6789". */
    private static void udpReply(DatagramEndpoint e) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment reply = arena.allocate(UdpConnect.LENGTH);
            reply.set(WIRE_INT, 0, UdpConnect.REPLY);
            e.send(reply, 0, UdpConnect.LENGTH, 1);
        }
    }

    /**
     * Waits for TEST_END while the test runs. False when the test ended otherwise (client terminated; logged).
     * Fails when neither data nor a control message came for the idle timeout.
     */
    private boolean awaitTestEnd(TestRun run) throws IOException {
        long lastMoved = -1;
        long lastProgress = System.nanoTime();
        while (!aborted) {
            int state = channel.pollState(200, "TEST_END");
            if (state == ControlState.TEST_END) {
                return true;
            }
            if (state == ControlState.CLIENT_TERMINATE) {
                log.println("tapir iperf3 server: " + peer + ": the client has terminated");
                return false;
            }
            if (state != Integer.MIN_VALUE) {
                throw new Iperf3ProtocolException("unexpected state " + ControlState.name((byte) state)
                        + " during the test");
            }
            long moved = run.streams.bytesMoved();
            long now = System.nanoTime();
            if (moved != lastMoved) {
                lastMoved = moved;
                lastProgress = now;
            } else if (now - lastProgress > options.idleTimeoutMillis() * 1_000_000L) {
                throw new Iperf3ProtocolException("no data and no control message for "
                        + options.idleTimeoutMillis() + " ms");
            }
        }
        throw new Iperf3ProtocolException("server shutting down");
    }

    /** IPERF_DONE ends the exchange; a client that just closes is fine too. */
    private void awaitDone(int timeout) throws IOException {
        try {
            byte state = channel.readState(timeout, "IPERF_DONE");
            if (state != ControlState.IPERF_DONE) {
                log.println("tapir iperf3 server: " + peer + ": expected IPERF_DONE, got " + ControlState.name(state));
            }
        } catch (Iperf3ProtocolException e) {
            if (!e.getMessage().startsWith("the peer closed")) {
                throw e;
            }
        }
    }

    private Iperf3Results withOutput(Iperf3Results own, String rendered) {
        JsonNode json = null;
        String text = null;
        if (output.json()) {
            try {
                json = ControlChannel.JSON.readTree(rendered);
            } catch (JsonProcessingException e) {
                text = rendered;
            }
        } else {
            text = rendered;
        }
        return new Iperf3Results(own.cpuUtilTotal(), own.cpuUtilUser(), own.cpuUtilSystem(),
                own.senderHasRetransmits(), own.congestionUsed(), own.streams(), json, text, own.verification());
    }
}
