package dev.tapir.engine.stack.tcp;

import dev.tapir.engine.stack.ip.IpOutput;
import java.security.SecureRandom;
import org.agrona.DirectBuffer;

/**
 * The TCP layer of one stack (one local IPv4 address): demultiplexes segments to sockets by their 4-tuple, runs
 * listeners, answers segments for no socket with RST (RFC 9293 §3.10.7.1), picks ISNs (RFC 6528) and drives every
 * socket's output and timers.
 *
 * <p>Thread rules: every method here belongs to the stack thread (the one that owns the IpOutput), except
 * {@link #counters()} which any thread may read. User threads talk to {@link TcpSocket} and {@link TcpListener}
 * through their documented user-thread methods. The loop calls {@link #onSegment} for each received TCP packet, then
 * {@link #poll} every duty cycle (it is cheap when idle, and it is how the stack notices data a user wrote, space a
 * user freed by reading, and close requests); {@link #nextDeadline} says how long a loop with no other work may park.
 */
public final class TcpLayer {
    private static final int EPHEMERAL_FIRST = 49152;
    private static final int EPHEMERAL_COUNT = 65536 - EPHEMERAL_FIRST;
    private static final int MAX_PENDING_RESETS = 64;
    private static final int DEFAULT_MAX_HALF_OPEN = 256;

    private final int localAddress;
    private final TcpConfig defaults;
    private final InitialSequenceNumbers isns;
    private final TcpCounters counters = TcpCounters.forLayer();
    private final ConnectionTable table = new ConnectionTable(64);
    private final TcpListener[] listeners = new TcpListener[65536];
    private TcpListener[] listenerList = new TcpListener[4];
    private int listenerCount;
    private TcpSocket[] sockets = new TcpSocket[16];
    private int socketCount;
    private int maxHalfOpen = DEFAULT_MAX_HALF_OPEN;
    private int nextEphemeral;

    private final TcpSegment rx = new TcpSegment();
    private final TcpSegment tx = new TcpSegment();
    private final TcpOptions rxOptions = new TcpOptions();

    // Resets for segments that reached no socket, sent at the next poll.
    private final int[] resetAddress = new int[MAX_PENDING_RESETS];
    private final int[] resetLocalPort = new int[MAX_PENDING_RESETS];
    private final int[] resetRemotePort = new int[MAX_PENDING_RESETS];
    private final int[] resetSeq = new int[MAX_PENDING_RESETS];
    private final int[] resetAck = new int[MAX_PENDING_RESETS];
    private final int[] resetFlags = new int[MAX_PENDING_RESETS];
    private int resetCount;

    public TcpLayer(int localAddress, TcpConfig defaults) {
        this(localAddress, defaults, new SecureRandom());
    }

    public TcpLayer(int localAddress, TcpConfig defaults, SecureRandom random) {
        this.localAddress = localAddress;
        this.defaults = defaults.copy();
        this.isns = new InitialSequenceNumbers(random);
        this.nextEphemeral = random.nextInt(EPHEMERAL_COUNT);
    }

    /** Any thread. */
    public TcpCounters counters() {
        return counters;
    }

    public int localAddress() {
        return localAddress;
    }

    /** Bound on SYN_RECEIVED connections per listener for listeners opened after this call. */
    public TcpLayer maxHalfOpen(int limit) {
        this.maxHalfOpen = limit;
        return this;
    }

    /** Opens a listener on {@code port} with the layer's default connection settings. */
    public TcpListener listen(int port, int backlog) {
        return listen(port, backlog, defaults);
    }

    /** Opens a listener; {@code config} applies to each accepted connection. Fails if the port already listens. */
    public TcpListener listen(int port, int backlog, TcpConfig config) {
        if (port <= 0 || port > 0xffff) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        if (listeners[port] != null) {
            throw new IllegalStateException("port " + port + " is already listening");
        }
        TcpListener l = new TcpListener(port, Math.max(1, backlog), maxHalfOpen, config.copy());
        listeners[port] = l;
        if (listenerCount == listenerList.length) {
            listenerList = java.util.Arrays.copyOf(listenerList, listenerCount * 2);
        }
        listenerList[listenerCount++] = l;
        return l;
    }

    /**
     * Active open to {@code remoteAddress:remotePort} from {@code localPort} (0 picks an ephemeral port); the SYN goes
     * out at the next poll. Returns the socket in SYN_SENT.
     */
    public TcpSocket connect(long nowNanos, int remoteAddress, int remotePort, int localPort, TcpConfig config) {
        int port = localPort;
        if (port == 0) {
            for (int i = 0; i < EPHEMERAL_COUNT && port == 0; i++) {
                int candidate = EPHEMERAL_FIRST + (nextEphemeral++ % EPHEMERAL_COUNT);
                if (listeners[candidate] == null
                        && table.get(ConnectionTable.key(remoteAddress, remotePort, candidate)) == null) {
                    port = candidate;
                }
            }
            if (port == 0) {
                throw new IllegalStateException("no free local port towards that address");
            }
        } else if (table.get(ConnectionTable.key(remoteAddress, remotePort, port)) != null) {
            throw new IllegalStateException("connection already exists");
        }
        int iss = isns.next(nowNanos, localAddress, port, remoteAddress, remotePort);
        TcpSocket s = new TcpSocket(this, null, config.copy(), localAddress, port, remoteAddress, remotePort, iss);
        s.open();
        add(s);
        counters.increment(TcpCounters.CONNECTIONS_OPENED);
        return s;
    }

    public TcpSocket connect(long nowNanos, int remoteAddress, int remotePort) {
        return connect(nowNanos, remoteAddress, remotePort, 0, defaults);
    }

    /**
     * True while a connection the application closed still has data or its FIN to deliver, or a RST is queued: what
     * a kernel would go on sending after the process that wrote it exits.
     */
    public boolean delivering() {
        if (resetCount > 0) {
            return true;
        }
        for (int i = 0; i < socketCount; i++) {
            if (sockets[i].deliveringAfterClose()) {
                return true;
            }
        }
        return false;
    }

    /** Number of sockets the layer still drives (any state but finished CLOSED). */
    public int socketCount() {
        return socketCount;
    }

    /**
     * One received TCP packet {@code buffer[offset, offset + length)} from {@code sourceIp} to
     * {@code destinationIp}; it is valid only during the call. Its checksum is checked unless
     * {@code checksumTrusted}. It may be a super-frame of many MSS (a peer's TSO, GRO): it is taken as the one segment
     * it is. Bad segments are counted and dropped. A connection that has taken {@link TcpSocket#ACK_BATCH_BYTES} since
     * its last ACK answers through {@code out} at once rather than at the end of the receive batch (see there).
     */
    public void onSegment(long nowNanos, int sourceIp, int destinationIp, DirectBuffer buffer, int offset, int length,
            boolean checksumTrusted, IpOutput out) {
        counters.increment(TcpCounters.SEGMENTS_IN);
        if (!rx.wrap(buffer, offset, length)) {
            counters.increment(TcpCounters.DROPPED_MALFORMED);
            return;
        }
        if (!checksumTrusted && !rx.checksumValid(sourceIp, destinationIp)) {
            counters.increment(TcpCounters.DROPPED_BAD_CHECKSUM);
            return;
        }
        if (!rx.parseOptions(rxOptions)) {
            counters.increment(TcpCounters.DROPPED_MALFORMED);
            return;
        }
        int sourcePort = rx.sourcePort();
        int destinationPort = rx.destinationPort();
        TcpSocket s = table.get(ConnectionTable.key(sourceIp, sourcePort, destinationPort));
        if (s != null && s.localAddress() == destinationIp) {
            s.onSegment(nowNanos, rx, rxOptions);
            if (s.ackBatchFull()) {
                s.transmit(nowNanos, out);
            }
            return;
        }
        TcpListener l = listeners[destinationPort];
        if (l != null && !l.isClosed() && destinationIp == localAddress) {
            onListenerSegment(nowNanos, l, sourceIp, sourcePort);
            return;
        }
        counters.increment(TcpCounters.DROPPED_NO_SOCKET);
        resetForNoSocket(sourceIp, destinationPort, sourcePort);
    }

    /** RFC 9293 §3.10.7.2. */
    private void onListenerSegment(long nowNanos, TcpListener l, int sourceIp, int sourcePort) {
        int flags = rx.flags();
        if ((flags & TcpSegment.RST) != 0) {
            return;
        }
        if ((flags & TcpSegment.ACK) != 0) {
            queueReset(sourceIp, l.port(), sourcePort, rx.acknowledgmentNumber(), 0, TcpSegment.RST);
            return;
        }
        if ((flags & TcpSegment.SYN) == 0) {
            return;
        }
        if (l.backlogFull()) {
            counters.increment(TcpCounters.DROPPED_BACKLOG_FULL);
            return;
        }
        if (!l.canTakeSyn()) {
            counters.increment(TcpCounters.DROPPED_HALF_OPEN_FULL);
            return;
        }
        int iss = isns.next(nowNanos, localAddress, l.port(), sourceIp, sourcePort);
        TcpSocket s = new TcpSocket(this, l, l.config().copy(), localAddress, l.port(), sourceIp, sourcePort, iss);
        s.acceptSyn(nowNanos, rx, rxOptions);
        l.halfOpenAdded();
        add(s);
    }

    /** RFC 9293 §3.10.7.1: a segment for no connection gets a RST unless it is one. */
    private void resetForNoSocket(int remoteAddress, int localPort, int remotePort) {
        int flags = rx.flags();
        if ((flags & TcpSegment.RST) != 0) {
            return;
        }
        if ((flags & TcpSegment.ACK) != 0) {
            queueReset(remoteAddress, localPort, remotePort, rx.acknowledgmentNumber(), 0, TcpSegment.RST);
        } else {
            queueReset(remoteAddress, localPort, remotePort, 0, rx.sequenceNumber() + rx.sequenceLength(),
                    TcpSegment.RST | TcpSegment.ACK);
        }
    }

    void queueReset(int remoteAddress, int localPort, int remotePort, int seq, int ack, int flags) {
        if (resetCount == MAX_PENDING_RESETS) {
            counters.increment(TcpCounters.RESETS_NOT_SENT);
            return;
        }
        int i = resetCount++;
        resetAddress[i] = remoteAddress;
        resetLocalPort[i] = localPort;
        resetRemotePort[i] = remotePort;
        resetSeq[i] = seq;
        resetAck[i] = ack;
        resetFlags[i] = flags;
    }

    /** Sends everything due: resets, SYNs, data, retransmissions, probes, ACKs. Returns the segments sent. */
    public int poll(long nowNanos, IpOutput out) {
        int sent = sendResets(nowNanos, out);
        for (int i = 0; i < listenerCount; i++) {
            listenerList[i].wakeAcceptor();
            if (listenerList[i].isClosed()) {
                listeners[listenerList[i].port()] = null;
                listenerList[i] = listenerList[--listenerCount];
                listenerList[listenerCount] = null;
                i--;
            }
        }
        for (int i = 0; i < socketCount; i++) {
            TcpSocket s = sockets[i];
            sent += s.transmit(nowNanos, out);
            s.wakeUser();
            if (s.finished()) {
                sockets[i] = sockets[--socketCount];
                sockets[socketCount] = null;
                i--;
            }
        }
        return sent;
    }

    /** The earliest time a timer needs {@link #poll}: 0 if output is due now, Long.MAX_VALUE if nothing waits. */
    public long nextDeadline() {
        if (resetCount > 0) {
            return 0;
        }
        long d = Long.MAX_VALUE;
        for (int i = 0; i < socketCount; i++) {
            d = Math.min(d, sockets[i].nextDeadline());
        }
        return d;
    }

    private int sendResets(long nowNanos, IpOutput out) {
        int done = 0;
        int sent = 0;
        while (done < resetCount) {
            int at = out.claim(resetAddress[done], TcpSegment.PROTOCOL, TcpSegment.HEADER_LENGTH);
            if (at == IpOutput.NO_ROOM) {
                break;
            }
            if (at == IpOutput.NO_ROUTE) {
                // Dropped, or it would be retried at every poll and hold up the resets queued behind it.
                counters.increment(TcpCounters.DROPPED_NO_ROUTE);
                counters.increment(TcpCounters.RESETS_NOT_SENT);
                done++;
                continue;
            }
            tx.wrapForWrite(out.buffer(), at, TcpSegment.HEADER_LENGTH)
                    .sourcePort(resetLocalPort[done])
                    .destinationPort(resetRemotePort[done])
                    .sequenceNumber(resetSeq[done])
                    .acknowledgmentNumber(resetAck[done])
                    .headerLength(TcpSegment.HEADER_LENGTH)
                    .flags(resetFlags[done])
                    .window(0)
                    .urgentPointer(0)
                    .computeChecksum(out.sourceAddress(), resetAddress[done]);
            out.commit(nowNanos, at);
            counters.increment(TcpCounters.SEGMENTS_OUT);
            counters.increment(TcpCounters.RESETS_SENT);
            done++;
            sent++;
        }
        int left = resetCount - done;
        if (done > 0 && left > 0) {
            System.arraycopy(resetAddress, done, resetAddress, 0, left);
            System.arraycopy(resetLocalPort, done, resetLocalPort, 0, left);
            System.arraycopy(resetRemotePort, done, resetRemotePort, 0, left);
            System.arraycopy(resetSeq, done, resetSeq, 0, left);
            System.arraycopy(resetAck, done, resetAck, 0, left);
            System.arraycopy(resetFlags, done, resetFlags, 0, left);
        }
        resetCount = left;
        return sent;
    }

    TcpSegment txSegment() {
        return tx;
    }

    private void add(TcpSocket s) {
        table.put(s.key(), s);
        if (socketCount == sockets.length) {
            sockets = java.util.Arrays.copyOf(sockets, socketCount * 2);
        }
        sockets[socketCount++] = s;
    }

    /** A passive socket finished its handshake: hand it to its listener, or reset it if the backlog is full. */
    void onEstablished(TcpSocket s) {
        TcpListener l = s.listener();
        if (l == null) {
            return;
        }
        l.halfOpenRemoved();
        if (l.isClosed() || !l.offer(s)) {
            counters.increment(TcpCounters.DROPPED_BACKLOG_FULL);
            s.abort();
            return;
        }
        counters.increment(TcpCounters.CONNECTIONS_ACCEPTED);
    }

    /** A socket reached CLOSED: later segments for its 4-tuple go to a listener or get a RST. */
    void onClosed(TcpSocket s) {
        table.remove(s.key(), s);
        TcpListener l = s.listener();
        if (l != null && s.wasHalfOpen()) {
            l.halfOpenRemoved();
        }
    }
}
