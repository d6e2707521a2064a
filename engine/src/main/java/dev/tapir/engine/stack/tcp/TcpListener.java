package dev.tapir.engine.stack.tcp;

import org.agrona.concurrent.OneToOneConcurrentArrayQueue;

/**
 * A passive open on a port (RFC 9293 LISTEN). The stack thread creates a socket in SYN_RECEIVED for each acceptable
 * SYN, bounded by {@code maxHalfOpen}, and hands it to the accept queue (bounded by {@code backlog}) once ESTABLISHED.
 *
 * <p>Thread rules: {@link #accept} and {@link #close} belong to ONE user thread; everything else to the stack thread.
 */
public final class TcpListener {
    private final int port;
    private final int backlog;
    private final int maxHalfOpen;
    private final TcpConfig config;
    private final OneToOneConcurrentArrayQueue<TcpSocket> accepted;
    private final UserWakeup acceptWakeup = new UserWakeup();
    private volatile boolean closed;
    private int halfOpen;
    /** A connection was queued since the last {@link #wakeAcceptor}. */
    private boolean queued;

    TcpListener(int port, int backlog, int maxHalfOpen, TcpConfig config) {
        this.port = port;
        this.backlog = backlog;
        this.maxHalfOpen = maxHalfOpen;
        this.config = config;
        this.accepted = new OneToOneConcurrentArrayQueue<>(Math.max(2, backlog));
    }

    public int port() {
        return port;
    }

    /** User thread: the next established connection, or null if none is waiting. Never blocks. */
    public TcpSocket accept() {
        return accepted.poll();
    }

    /** User thread: true when {@link #accept} would return a connection, or the listener is closed. */
    public boolean acceptReady() {
        return !accepted.isEmpty() || closed;
    }

    /** How the accepting user thread waits for {@link #acceptReady}. */
    public UserWakeup acceptWakeup() {
        return acceptWakeup;
    }

    /** User thread: stops accepting; the stack thread drops the listener at its next poll. */
    public void close() {
        closed = true;
    }

    public boolean isClosed() {
        return closed;
    }

    /** Half-open connections (SYN_RECEIVED) now; any thread, approximate. */
    public int halfOpen() {
        return halfOpen;
    }

    TcpConfig config() {
        return config;
    }

    boolean canTakeSyn() {
        return halfOpen < maxHalfOpen;
    }

    boolean backlogFull() {
        return accepted.size() >= backlog;
    }

    void halfOpenAdded() {
        halfOpen++;
    }

    void halfOpenRemoved() {
        halfOpen--;
    }

    /** Stack thread: queues an established connection; false if the backlog is full. */
    boolean offer(TcpSocket socket) {
        boolean offered = accepted.size() < backlog && accepted.offer(socket);
        queued |= offered;
        return offered;
    }

    /** Stack thread: wakes the accepting user thread if a connection was queued since the last call. */
    void wakeAcceptor() {
        if (queued) {
            queued = false;
            acceptWakeup.wake();
        }
    }
}
