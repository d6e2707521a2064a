package dev.tapir.engine.iperf3;

import dev.tapir.engine.report.Interval;
import dev.tapir.engine.report.TestResult;
import dev.tapir.engine.report.TestStart;
import dev.tapir.engine.transport.StreamConnection;
import dev.tapir.engine.transport.StreamListener;
import dev.tapir.engine.transport.StreamOptions;
import dev.tapir.engine.transport.Transport;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;

/**
 * The server side of iperf3's protocol: serves iperf3 3.12 clients (and tapir clients) one test at a time, like
 * {@code iperf3 -s}. While a test runs, any other connection that is not one of its data connections gets
 * ACCESS_DENIED (one byte 0xFF) and is closed, as 3.12 does. Unlike 3.12, every control read has a timeout, and a
 * client that misbehaves costs one line on the log and nothing else: the server frees the test and serves the next.
 */
public final class Iperf3Server implements AutoCloseable {
    /**
     * Server settings.
     *
     * @param intervalNanos interval between reports ({@code -i}), 0 for none
     * @param controlTimeoutMillis how long a client may take for each set-up step (cookie, parameters, each stream,
     *     results); iperf3 3.12 waits forever
     * @param idleTimeoutMillis how long a running test may see neither data nor a control message (iperf3's
     *     {@code --rcv-timeout} default is 120 s)
     */
    public record Options(long intervalNanos, int controlTimeoutMillis, int idleTimeoutMillis) {
        public static final Options DEFAULT = new Options(1_000_000_000L, 10_000, 120_000);
    }

    /** Where the server's reports go; the CLI plugs engine-core's renderers in here. */
    public interface Output {
        /** A test's streams are connected and it starts now: its protocol and connections. */
        default void started(TestStart start) {
        }

        /** An interval report of the running test (called on the reporter thread). */
        void interval(Interval interval);

        /** The final report of a test. */
        void result(TestResult result);

        /** The rendering of a finished test a client gets with {@code --get-server-output}. */
        String render(TestResult result);

        /** True when {@link #render} gives iperf3 {@code -J} JSON (sent as server_output_json), false for text. */
        boolean json();
    }

    private static final int ACCEPT_POLL_MILLIS = 200;
    private static final int DENY_WRITE_MILLIS = 100;

    private final Transport transport;
    private final Options options;
    private final Output output;
    private final PrintStream log;
    private final StreamListener listener;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment accessDenied = arena.allocate(1);
    private volatile boolean closed;
    private volatile boolean serving;
    private boolean released;

    /** Starts listening on {@code bind} (port 0 picks a free one; see {@link #localAddress()}). */
    public Iperf3Server(Transport transport, InetSocketAddress bind, Options options, Output output, PrintStream log)
            throws IOException {
        this.transport = transport;
        this.options = options;
        this.output = output;
        this.log = log;
        this.listener = transport.listen(bind, StreamOptions.DEFAULT);
        accessDenied.set(ValueLayout.JAVA_BYTE, 0, ControlState.ACCESS_DENIED);
    }

    public InetSocketAddress localAddress() {
        return listener.localAddress();
    }

    /**
     * Serves clients until {@link #close()} is called, or after the first test when {@code oneOff}. Returns when done;
     * call from one thread only.
     */
    public void serve(boolean oneOff) {
        ServerSession session = null;
        Thread sessionThread = null;
        serving = true;
        try {
            while (!closed) {
                if (session != null && !sessionThread.isAlive()) {
                    session = null;
                    if (oneOff) {
                        return;
                    }
                }
                StreamConnection c;
                try {
                    c = listener.accept(ACCEPT_POLL_MILLIS);
                } catch (IOException e) {
                    if (!closed) {
                        log.println("tapir iperf3 server: accept failed: " + e.getMessage());
                    }
                    continue;
                }
                if (c == null) {
                    continue;
                }
                if (session != null && session.finishing()) {
                    // The last test is over but its thread still tidies up (waits for IPERF_DONE, joins loops).
                    awaitQuietly(sessionThread);
                    session = null;
                    if (oneOff) {
                        deny(c);
                        return;
                    }
                }
                if (session == null) {
                    session = new ServerSession(transport, listener.localAddress(), c, options, output, log);
                    sessionThread = Thread.ofPlatform().name("tapir-iperf3-session").unstarted(session);
                    sessionThread.start();
                } else if (!session.offerDataConnection(c)) {
                    deny(c);
                }
            }
        } finally {
            if (session != null) {
                session.abort();
                awaitQuietly(sessionThread);
            }
            serving = false;
            if (closed) {
                release();
            }
        }
    }

    private static void awaitQuietly(Thread thread) {
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** What a busy iperf3 3.12 server does: 0xFF without reading anything, then close. */
    private void deny(StreamConnection c) {
        try {
            c.write(accessDenied, 0, 1, DENY_WRITE_MILLIS);
        } catch (IOException e) {
            // The unsolicited client is gone already; the running test is unaffected.
        } finally {
            c.close();
        }
    }

    /**
     * Stops serving and frees the listening socket. Call from the thread that called {@link #serve} after it
     * returned, or from another thread to make {@link #serve} return (it then frees the socket itself).
     */
    @Override
    public void close() {
        closed = true;
        if (!serving) {
            release();
        }
    }

    private synchronized void release() {
        if (!released) {
            released = true;
            listener.close();
            arena.close();
        }
    }
}
