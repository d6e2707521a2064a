package dev.tapir.engine.stack.tcp;

import static dev.tapir.engine.stack.tcp.TcpSegment.ACK;
import static dev.tapir.engine.stack.tcp.TcpSegment.FIN;
import static dev.tapir.engine.stack.tcp.TcpSegment.PSH;
import static dev.tapir.engine.stack.tcp.TcpSegment.RST;
import static dev.tapir.engine.stack.tcp.TcpSegment.SYN;

import dev.tapir.engine.stack.ip.IpOutput;
import dev.tapir.engine.transport.TcpStats;
import java.lang.foreign.MemorySegment;

/**
 * One TCP connection (RFC 9293): the state machine, the send and receive rings, loss recovery and timers.
 *
 * <p>Sequence numbers are kept as 64-bit offsets from the ISN (send side) and the IRS (receive side) so comparisons
 * never wrap: offset 0 is the SYN, data byte {@code p} of the stream is offset {@code p + 1} and lives at ring
 * position {@code p}. Wire values are {@code iss + (int) offset}.
 *
 * <p>Thread rules. User thread (ONE thread per socket): {@link #write}, {@link #read}, {@link #shutdownOutput},
 * {@link #close}, {@link #abort} and the queries ({@link #state}, {@link #isReset}, {@link #readableBytes},
 * {@link #writableBytes}, {@link #counters}, {@link #tcpStats}). They touch only the rings and volatile flags; the
 * close calls are requests the stack thread carries out at its next {@link TcpLayer#poll}. Everything else belongs to
 * the stack thread, through {@link TcpLayer}.
 */
public final class TcpSocket {
    /** RFC 9293 §3.7.1: the MSS assumed when the peer sends none. */
    private static final int DEFAULT_MSS = 536;
    private static final int TIMESTAMP_OPTION_BYTES = 12;
    private static final int MAX_OUT_OF_ORDER_RANGES = 32;
    private static final int MAX_SACKED_RANGES = 64;
    /** Segments one socket may send per poll, so one connection cannot starve the receive path. */
    private static final int MAX_BURST = 64;
    private static final long NEVER = Long.MAX_VALUE;
    /**
     * Unacknowledged received bytes after which a connection ACKs in the middle of a receive batch. It otherwise ACKs
     * once per batch (up to {@code NetworkStack.RECEIVE_BATCH} frames: a stretch ACK, which RFC 9293 §3.8.6.3 allows,
     * saves a frame per two segments when the receiver is the bottleneck); but a batch of super-frames (TSO, GRO) or a
     * long queue would hold the ACK back for megabytes while the sender sits with its window in flight. 64 KiB is the
     * most one Linux GRO packet makes it acknowledge.
     */
    public static final int ACK_BATCH_BYTES = 64 * 1024;

    private final TcpLayer layer;
    private final TcpListener listener;
    private final TcpConfig config;
    private final TcpCounters counters = TcpCounters.forConnection();
    private final int localAddress;
    private final int localPort;
    private final int remoteAddress;
    private final int remotePort;
    private final long key;
    /**
     * The rings, allocated when the connection is established (at {@link #open} for an active open), so a flood of
     * SYNs costs a small socket each, not two rings. The user thread gets the socket only after that (through the
     * listener's queue or the connect command), so it always sees them.
     */
    private ByteRing sendRing;
    private ByteRing receiveRing;
    private final int receiveCapacity;
    private final CongestionControl congestion;
    private final RetransmitTimer retransmitTimer;
    private final SackScoreboard scoreboard = new SackScoreboard(MAX_SACKED_RANGES);
    private final Assembler outOfOrder = new Assembler(MAX_OUT_OF_ORDER_RANGES);
    private final TcpOptions txOptions = new TcpOptions();
    private final UserWakeup readWakeup = new UserWakeup();
    private final UserWakeup writeWakeup = new UserWakeup();

    private volatile TcpState state;
    private volatile boolean reset;
    private volatile boolean unreachable;
    private volatile boolean finReceived;
    private volatile boolean shutdownRequested;
    private volatile boolean closeRequested;
    private volatile boolean abortRequested;

    // Send sequence space (offsets from iss).
    private final int iss;
    private long sndUna;
    private long sndNxt;
    private long sndMax;
    private long sndWnd;
    private long maxSndWnd;
    private int sndWl1;
    private int sndWl2;
    private int sndWndShift;
    private int peerMss = DEFAULT_MSS;
    private int sendMss;
    private int advertisedMss;
    /** Offset of our FIN once the user shut output down, else -1. */
    private long finOffset = -1;

    // Receive sequence space (offsets from irs).
    private int irs;
    private long rcvNxt;
    private long rcvAdvertisedRight;
    private final int rcvWndShift;
    private long peerFinOffset = -1;
    private boolean receiveClosed;
    private boolean ackNow;
    /** Something a user thread may wait for happened (bytes, room, FIN, close) since the last {@link #wakeUser}. */
    private boolean userNews;
    /** Extra duplicate ACKs owed: one per out-of-order segment beyond the first in a batch (RFC 5681 §4.2). */
    private int duplicateAcksOwed;
    private long ackDeadline = NEVER;

    // Negotiated options.
    private boolean windowScaling;
    private boolean sackPermitted;
    private boolean timestamps;
    private int tsRecent;
    private long lastAckSent;

    // Loss recovery.
    private boolean inRecovery;
    private long recoveryPoint;
    private int dupAcks;
    private boolean rttTiming;
    private long rttTimedEnd;
    private long rttStartNanos;

    // Other timers and pending output.
    private boolean persisting;
    private long persistDeadline = NEVER;
    private int persistBackoffs;
    private long timeWaitDeadline = NEVER;
    private boolean synNeeded;
    private boolean rstNeeded;
    /** A passive socket counted in its listener's half-open bound. */
    private boolean halfOpen;

    TcpSocket(TcpLayer layer, TcpListener listener, TcpConfig config, int localAddress, int localPort,
            int remoteAddress, int remotePort, int iss) {
        this.layer = layer;
        this.listener = listener;
        this.config = config;
        this.localAddress = localAddress;
        this.localPort = localPort;
        this.remoteAddress = remoteAddress;
        this.remotePort = remotePort;
        this.key = ConnectionTable.key(remoteAddress, remotePort, localPort);
        this.iss = iss;
        this.receiveCapacity = ByteRing.capacityFor(config.receiveBufferBytes);
        this.congestion = CongestionControl.named(config.congestion);
        congestion.init(DEFAULT_MSS, (long) config.initialWindowSegments * DEFAULT_MSS);
        this.retransmitTimer = new RetransmitTimer(config.initialRtoNanos, config.minRtoNanos, config.maxRtoNanos);
        int shift = 0;
        while (config.windowScaling && (receiveCapacity >>> shift) > 0xffff
                && shift < TcpOptions.MAX_WINDOW_SCALE) {
            shift++;
        }
        this.rcvWndShift = shift;
        this.state = TcpState.CLOSED;
    }

    // ---------------------------------------------------------------- user thread

    /**
     * User thread: copies up to {@code length} bytes from {@code src} into the send ring; returns the count, 0 if the
     * ring is full, -1 if the connection can no longer send (output shut down, reset or closed).
     */
    public int write(MemorySegment src, long offset, int length) {
        if (shutdownRequested || closeRequested || reset || state == TcpState.CLOSED && !connecting()) {
            return -1;
        }
        return sendRing.write(src, offset, length);
    }

    private boolean connecting() {
        return state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED;
    }

    /**
     * User thread: copies up to {@code length} received bytes into {@code dst}; returns the count, 0 if none is
     * waiting, -1 at end of stream (the peer's FIN after all its data, or a reset).
     */
    public int read(MemorySegment dst, long offset, int length) {
        int n = receiveRing.read(dst, offset, length);
        if (n > 0) {
            return n;
        }
        // The stack publishes the ring's tail before setting finReceived, so no data can hide behind the flag.
        if (finReceived || reset) {
            return receiveRing.readableBytes() == 0 ? -1 : receiveRing.read(dst, offset, length);
        }
        return 0;
    }

    /** User thread: true when {@link #read} would not return 0 (bytes, end of stream or a reset are waiting). */
    public boolean readReady() {
        return receiveRing.readableBytes() > 0 || finReceived || reset;
    }

    /** User thread: true when {@link #write} would not return 0 (room in the ring, or the connection cannot send). */
    public boolean writeReady() {
        return sendRing.writableBytes() > 0 || shutdownRequested || closeRequested || reset
                || state == TcpState.CLOSED;
    }

    /** How the reading user thread waits for {@link #readReady}. */
    public UserWakeup readWakeup() {
        return readWakeup;
    }

    /** How the writing user thread waits for {@link #writeReady}. */
    public UserWakeup writeWakeup() {
        return writeWakeup;
    }

    /** User thread: asks for a FIN after everything written so far; reading goes on. */
    public void shutdownOutput() {
        shutdownRequested = true;
    }

    /** User thread: shuts output down and stops reading; unread or later data makes the stack reset instead. */
    public void close() {
        shutdownRequested = true;
        closeRequested = true;
    }

    /** User thread: drops the connection with a RST. */
    public void abort() {
        abortRequested = true;
    }

    /** Any thread. */
    public TcpState state() {
        return state;
    }

    /** Any thread: true if the connection ended by a RST or by retransmissions giving up. */
    public boolean isReset() {
        return reset;
    }

    /** Any thread: true if the connection ended because no route leads to the peer (then {@link #isReset} too). */
    public boolean isUnreachable() {
        return unreachable;
    }

    /** Any thread: true once the peer's FIN arrived (data before it may still be unread). */
    public boolean finReceived() {
        return finReceived;
    }

    public int readableBytes() {
        return receiveRing.readableBytes();
    }

    public int writableBytes() {
        return sendRing.writableBytes();
    }

    /** Bytes written by the user and not yet acknowledged by the peer. */
    public int unacknowledgedBytes() {
        return sendRing.readableBytes();
    }

    public TcpCounters counters() {
        return counters;
    }

    public int localAddress() {
        return localAddress;
    }

    public int localPort() {
        return localPort;
    }

    public int remoteAddress() {
        return remoteAddress;
    }

    public int remotePort() {
        return remotePort;
    }

    public String congestionName() {
        return congestion.name();
    }

    /** Any thread: fills the iperf3 figures from the published counters. */
    public boolean tcpStats(TcpStats into) {
        into.retransmits = counters.get(TcpCounters.CONN_RETRANSMITS);
        into.congestionWindowBytes = counters.get(TcpCounters.CONN_CWND);
        into.rttMicros = counters.get(TcpCounters.CONN_SRTT_NANOS) / 1000;
        into.rttVarianceMicros = counters.get(TcpCounters.CONN_RTTVAR_NANOS) / 1000;
        into.sendMss = (int) counters.get(TcpCounters.CONN_SEND_MSS);
        into.pathMtu = 0;
        into.congestion = congestion.name();
        return true;
    }

    // ---------------------------------------------------------------- stack thread: setup

    long key() {
        return key;
    }

    TcpListener listener() {
        return listener;
    }

    /** Active open: SYN_SENT, the SYN goes out at the next poll. */
    void open() {
        allocateRings();
        state = TcpState.SYN_SENT;
        synNeeded = true;
        sndNxt = 0;
        sndMax = 0;
    }

    /** Passive open from a SYN a listener accepted: SYN_RECEIVED, the SYN-ACK goes out at the next poll. */
    void acceptSyn(long nowNanos, TcpSegment syn, TcpOptions options) {
        irs = syn.sequenceNumber();
        rcvNxt = 1;
        negotiate(options);
        sndWnd = syn.window();
        maxSndWnd = sndWnd;
        sndWl1 = irs;
        sndWl2 = iss;
        state = TcpState.SYN_RECEIVED;
        synNeeded = true;
        halfOpen = true;
    }

    private void allocateRings() {
        if (sendRing == null) {
            sendRing = new ByteRing(config.sendBufferBytes);
            receiveRing = new ByteRing(receiveCapacity);
            layer.counters().increment(TcpCounters.RINGS_ALLOCATED);
        }
    }

    /** Stack thread: true once the send and receive rings exist (from ESTABLISHED, or from an active open). */
    boolean hasRings() {
        return sendRing != null;
    }

    /** True while a passive socket is still half-open; the layer asks once, when the socket closes. */
    boolean wasHalfOpen() {
        boolean was = halfOpen;
        halfOpen = false;
        return was;
    }

    private void negotiate(TcpOptions peer) {
        peerMss = peer.mss != 0 ? peer.mss : DEFAULT_MSS;
        windowScaling = config.windowScaling && peer.windowScale >= 0;
        sndWndShift = windowScaling ? peer.windowScale : 0;
        sackPermitted = config.sack && peer.sackPermitted;
        timestamps = config.timestamps && peer.timestamps;
        if (timestamps) {
            tsRecent = peer.tsVal;
        }
    }

    private int receiveShift() {
        return windowScaling ? rcvWndShift : 0;
    }

    // ---------------------------------------------------------------- stack thread: input

    void onSegment(long nowNanos, TcpSegment seg, TcpOptions options) {
        counters.increment(TcpCounters.CONN_SEGMENTS_IN);
        switch (state) {
            case SYN_SENT -> onSegmentInSynSent(nowNanos, seg, options);
            case CLOSED, LISTEN -> {
                // A closed socket is out of the table; a late segment is the layer's problem.
            }
            default -> onSegmentSynchronized(nowNanos, seg, options);
        }
    }

    /** RFC 9293 §3.10.7.3. */
    private void onSegmentInSynSent(long nowNanos, TcpSegment seg, TcpOptions options) {
        int flags = seg.flags();
        boolean hasAck = (flags & ACK) != 0;
        if (hasAck && seg.acknowledgmentNumber() != iss + 1) {
            if ((flags & RST) == 0) {
                layer.queueReset(remoteAddress, localPort, remotePort, seg.acknowledgmentNumber(), 0, RST);
            }
            return;
        }
        if ((flags & RST) != 0) {
            if (hasAck) {
                enterClosed(true);
            }
            return;
        }
        if ((flags & SYN) == 0) {
            return;
        }
        irs = seg.sequenceNumber();
        rcvNxt = 1;
        negotiate(options);
        if (hasAck) {
            sndUna = 1;
            sndNxt = Math.max(sndNxt, 1);
            sendRing.publishHead(0);
            sndWnd = (long) seg.window() << sndWndShift;
            maxSndWnd = sndWnd;
            sndWl1 = seg.sequenceNumber();
            sndWl2 = seg.acknowledgmentNumber();
            if (timestamps && options.tsEcr != 0) {
                sampleRtt(tsNow(nowNanos) - options.tsEcr);
            }
            retransmitTimer.resetBackoff();
            retransmitTimer.stop();
            synNeeded = false;
            state = TcpState.ESTABLISHED;
            ackNow = true;
        } else {
            // Simultaneous open: answer with SYN-ACK from the same ISN.
            sndWnd = seg.window();
            maxSndWnd = sndWnd;
            state = TcpState.SYN_RECEIVED;
            synNeeded = true;
        }
    }

    /** RFC 9293 §3.10.7.4 with the RFC 5961 checks, for SYN_RECEIVED and every synchronized state. */
    private void onSegmentSynchronized(long nowNanos, TcpSegment seg, TcpOptions options) {
        int flags = seg.flags();
        int seq = seg.sequenceNumber();
        long segOffset = rcvNxt + (seq - (irs + (int) rcvNxt));
        int payload = seg.payloadLength();
        long segLength = seg.sequenceLength();

        if (state == TcpState.SYN_RECEIVED && (flags & (SYN | ACK | RST)) == SYN && seq == irs) {
            // The peer did not see our SYN-ACK: resend it now.
            synNeeded = true;
            return;
        }
        // PAWS (RFC 7323 §5): a segment with an older timestamp is a stale duplicate.
        if (timestamps && options.timestamps && (flags & RST) == 0 && options.tsVal - tsRecent < 0) {
            counters.increment(TcpCounters.CONN_DROPPED_PAWS);
            ackNow = true;
            return;
        }
        // Step 1: sequence acceptability against the window (our real free space, never less than advertised).
        long window = Math.max(0, receiveRightEdge() - rcvNxt);
        boolean acceptable;
        if (segLength == 0) {
            acceptable = window == 0 ? segOffset == rcvNxt : segOffset >= rcvNxt && segOffset < rcvNxt + window;
        } else {
            acceptable = window > 0 && ((segOffset >= rcvNxt && segOffset < rcvNxt + window)
                    || (segOffset + segLength - 1 >= rcvNxt && segOffset + segLength - 1 < rcvNxt + window));
        }
        if (!acceptable) {
            counters.increment(TcpCounters.CONN_DROPPED_OUT_OF_WINDOW);
            if ((flags & RST) == 0) {
                ackNow = true;
            }
            return;
        }
        // Step 2: RST. Only an exact match resets (RFC 5961 §3.2); the rest get a challenge ACK.
        if ((flags & RST) != 0) {
            if (segOffset == rcvNxt) {
                enterClosed(true);
            } else {
                challengeAck();
            }
            return;
        }
        // Step 4: a SYN in a synchronized state gets a challenge ACK (RFC 5961 §4.2).
        if ((flags & SYN) != 0) {
            challengeAck();
            return;
        }
        // Step 5: ACK.
        if ((flags & ACK) == 0) {
            return;
        }
        if (timestamps && options.timestamps && segOffset <= lastAckSent) {
            tsRecent = options.tsVal;
        }
        if (!processAck(nowNanos, seg, options, payload, segOffset)) {
            return;
        }
        // Step 7: data.
        if (payload > 0) {
            if (state == TcpState.ESTABLISHED || state == TcpState.FIN_WAIT_1 || state == TcpState.FIN_WAIT_2) {
                if (receiveClosed) {
                    // Nobody will read it (RFC 9293 §3.10.4 / RFC 2525): reset.
                    abortNow();
                    return;
                }
                receiveData(nowNanos, seg, segOffset, payload);
            }
        }
        // Step 8: FIN, once everything before it has arrived.
        if ((flags & FIN) != 0 && segOffset + payload <= receiveRightEdge()) {
            peerFinOffset = segOffset + payload;
        }
        if (peerFinOffset >= 0 && rcvNxt == peerFinOffset && !finReceived) {
            receiveFin(nowNanos);
        } else if (state == TcpState.TIME_WAIT && (flags & FIN) != 0) {
            // A retransmitted FIN: ACK it and restart the 2 MSL wait.
            ackNow = true;
            timeWaitDeadline = nowNanos + 2 * config.mslNanos;
        }
    }

    /** Returns false when the segment must be dropped after the ACK field. */
    private boolean processAck(long nowNanos, TcpSegment seg, TcpOptions options, int payload, long segOffset) {
        int ackSeq = seg.acknowledgmentNumber();
        long ackOffset = sndUna + (ackSeq - (iss + (int) sndUna));
        if (state == TcpState.SYN_RECEIVED) {
            if (ackOffset < 1 || ackOffset > sndMax) {
                layer.queueReset(remoteAddress, localPort, remotePort, ackSeq, 0, RST);
                return false;
            }
            allocateRings();
            state = TcpState.ESTABLISHED;
            synNeeded = false;
            retransmitTimer.stop();
            retransmitTimer.resetBackoff();
            sndWnd = (long) seg.window() << sndWndShift;
            maxSndWnd = Math.max(maxSndWnd, sndWnd);
            sndWl1 = seg.sequenceNumber();
            sndWl2 = ackSeq;
            halfOpen = false;
            layer.onEstablished(this);
            if (state == TcpState.CLOSED) {
                return false;
            }
        }
        if (ackOffset > sndMax) {
            // RFC 5961 §5.2: it acknowledges something never sent.
            ackNow = true;
            return false;
        }
        if (ackOffset < sndUna - Math.max(maxSndWnd, 1)) {
            ackNow = true;
            return false;
        }
        if (sackPermitted && options.sackCount > 0) {
            takeSackBlocks(options);
        }
        long window = (long) seg.window() << sndWndShift;
        boolean windowChanged = window != sndWnd;
        if (ackOffset > sndUna) {
            acknowledge(nowNanos, ackOffset, options);
        } else if (ackOffset == sndUna && payload == 0 && (seg.flags() & FIN) == 0 && !windowChanged
                && sndMax > sndUna && sndWnd > 0) {
            dupAcks++;
            counters.increment(TcpCounters.CONN_DUP_ACKS);
        }
        // Window update (RFC 9293 §3.10.7.4, SND.WL1/WL2 guard against old segments).
        int seq = seg.sequenceNumber();
        if (sndWl1 - seq < 0 || (sndWl1 == seq && sndWl2 - ackSeq <= 0)) {
            sndWnd = window;
            maxSndWnd = Math.max(maxSndWnd, window);
            sndWl1 = seq;
            sndWl2 = ackSeq;
            if (window > 0 && persisting) {
                persisting = false;
                persistDeadline = NEVER;
                persistBackoffs = 0;
                if (sndMax > sndUna) {
                    retransmitTimer.start(nowNanos);
                }
            }
        }
        if (!inRecovery && sndMax > sndUna && sndUna >= recoveryPoint
                && (dupAcks >= 3 || (sackPermitted && scoreboard.firstSegmentLost(sndUna, sendMss)))) {
            enterRecovery(nowNanos);
        }
        // Our FIN acknowledged?
        boolean finAcked = finOffset >= 0 && sndUna > finOffset;
        switch (state) {
            case FIN_WAIT_1 -> {
                if (finAcked) {
                    state = TcpState.FIN_WAIT_2;
                }
            }
            case CLOSING -> {
                if (finAcked) {
                    enterTimeWait(nowNanos);
                }
            }
            case LAST_ACK -> {
                if (finAcked) {
                    enterClosed(false);
                    return false;
                }
            }
            default -> {
            }
        }
        return true;
    }

    private void takeSackBlocks(TcpOptions options) {
        int unaSeq = iss + (int) sndUna;
        for (int b = 0; b < options.sackCount; b++) {
            long left = sndUna + (options.sackLeft[b] - unaSeq);
            long right = sndUna + (options.sackRight[b] - unaSeq);
            // Blocks below SND.UNA (D-SACK) or beyond what was sent are ignored.
            if (left < right && left >= sndUna && right <= sndMax) {
                scoreboard.addSacked(left, right);
                counters.increment(TcpCounters.CONN_SACK_BLOCKS_RECEIVED);
            }
        }
    }

    private void acknowledge(long nowNanos, long ackOffset, TcpOptions options) {
        long acked = ackOffset - sndUna;
        long dataAckedTo = finOffset >= 0 ? Math.min(ackOffset, finOffset) : ackOffset;
        sendRing.publishHead(dataAckedTo - 1);
        userNews = true;
        sndUna = ackOffset;
        if (sndNxt < sndUna) {
            sndNxt = sndUna;
        }
        scoreboard.acknowledge(sndUna);
        counters.add(TcpCounters.CONN_BYTES_SENT, acked);
        if (timestamps && options.timestamps && options.tsEcr != 0) {
            sampleRtt(tsNow(nowNanos) - options.tsEcr);
        } else if (rttTiming && ackOffset >= rttTimedEnd) {
            rttTiming = false;
            long rtt = nowNanos - rttStartNanos;
            retransmitTimer.sample(rtt);
            publishRtt();
        }
        retransmitTimer.resetBackoff();
        if (inRecovery) {
            if (sndUna >= recoveryPoint) {
                inRecovery = false;
                congestion.onRecoveryEnd(nowNanos);
            }
        } else if (sendMss > 0 && sndMax - sndUna + acked + sendMss > congestion.congestionWindow()) {
            // Grows only when the flight this ACK covers filled the window (RFC 7661): a sender held back by the
            // application or the peer's window has not shown the path takes more. (Before sending starts only our
            // SYN can be acknowledged: no data, no window growth.)
            congestion.onAck(nowNanos, acked, retransmitTimer.srttNanos());
        }
        publishCongestion();
        dupAcks = 0;
        if (sndUna >= sndMax) {
            retransmitTimer.stop();
        } else if (!persisting) {
            retransmitTimer.start(nowNanos);
        }
    }

    private void sampleRtt(int ticks) {
        if (ticks >= 0) {
            retransmitTimer.sample(ticks * 1000L);
            publishRtt();
        }
    }

    private void publishRtt() {
        counters.set(TcpCounters.CONN_SRTT_NANOS, retransmitTimer.srttNanos());
        counters.set(TcpCounters.CONN_RTTVAR_NANOS, retransmitTimer.rttvarNanos());
    }

    private void publishCongestion() {
        counters.set(TcpCounters.CONN_CWND, congestion.congestionWindow());
        counters.set(TcpCounters.CONN_SSTHRESH, congestion.slowStartThreshold());
    }

    private void enterRecovery(long nowNanos) {
        inRecovery = true;
        recoveryPoint = sndMax;
        scoreboard.highRxt(sndUna);
        congestion.onLoss(nowNanos, sndMax - sndUna);
        publishCongestion();
        counters.increment(TcpCounters.CONN_FAST_RETRANSMITS);
    }

    private void receiveData(long nowNanos, TcpSegment seg, long segOffset, int payload) {
        long start = Math.max(segOffset, rcvNxt);
        long end = Math.min(segOffset + payload, receiveRightEdge());
        if (end <= start) {
            ackNow = true;
            return;
        }
        receiveRing.copyIn(start - 1, seg.buffer(), seg.payloadOffset() + (int) (start - segOffset),
                (int) (end - start));
        if (start == rcvNxt) {
            boolean filledHole = !outOfOrder.isEmpty();
            long next = end;
            while (!outOfOrder.isEmpty() && outOfOrder.start(0) <= next) {
                next = outOfOrder.advance(next);
            }
            counters.add(TcpCounters.CONN_BYTES_RECEIVED, next - rcvNxt);
            rcvNxt = next;
            receiveRing.publishTail(next - 1);
            userNews = true;
            if (filledHole || config.delayedAckNanos == 0 || rcvNxt - lastAckSent >= 2L * advertisedMss) {
                ackNow = true;
            } else if (ackDeadline == NEVER) {
                ackDeadline = nowNanos + config.delayedAckNanos;
            }
        } else {
            // Out of order: the bytes already sit where they belong; remember the range (dropped if the list is full).
            outOfOrder.add(start, end);
            counters.increment(TcpCounters.CONN_OUT_OF_ORDER_SEGMENTS);
            if (ackNow) {
                duplicateAcksOwed++;
            }
            ackNow = true;
        }
    }

    private void receiveFin(long nowNanos) {
        rcvNxt++;
        finReceived = true;
        userNews = true;
        ackNow = true;
        switch (state) {
            case SYN_RECEIVED, ESTABLISHED -> state = TcpState.CLOSE_WAIT;
            case FIN_WAIT_1 -> {
                if (finOffset >= 0 && sndUna > finOffset) {
                    enterTimeWait(nowNanos);
                } else {
                    state = TcpState.CLOSING;
                }
            }
            case FIN_WAIT_2 -> enterTimeWait(nowNanos);
            default -> {
            }
        }
    }

    private void enterTimeWait(long nowNanos) {
        state = TcpState.TIME_WAIT;
        retransmitTimer.stop();
        persisting = false;
        persistDeadline = NEVER;
        timeWaitDeadline = nowNanos + 2 * config.mslNanos;
    }

    private void challengeAck() {
        counters.increment(TcpCounters.CONN_CHALLENGE_ACKS);
        ackNow = true;
    }

    private void abortNow() {
        rstNeeded = state.synchronizedState() || state == TcpState.SYN_RECEIVED;
        enterClosed(true);
    }

    private void enterClosed(boolean byReset) {
        if (byReset) {
            reset = true;
        }
        retransmitTimer.stop();
        persisting = false;
        persistDeadline = NEVER;
        ackDeadline = NEVER;
        timeWaitDeadline = NEVER;
        synNeeded = false;
        ackNow = false;
        state = TcpState.CLOSED;
        userNews = true;
        layer.onClosed(this);
    }

    /** Right edge of the receive window: one ring beyond what the user has read. */
    private long receiveRightEdge() {
        return (receiveRing == null ? 0 : receiveRing.head()) + receiveCapacity + 1;
    }

    private static int tsNow(long nowNanos) {
        return (int) (nowNanos / 1000);
    }

    // ---------------------------------------------------------------- stack thread: output and timers

    /** Stack thread: an ACK is owed for at least {@link #ACK_BATCH_BYTES} of in-order data. */
    boolean ackBatchFull() {
        return ackNow && rcvNxt - lastAckSent >= ACK_BATCH_BYTES;
    }

    /** Earliest time this socket needs a poll for its timers, 0 if it has output due now. */
    long nextDeadline() {
        if (ackNow || synNeeded || rstNeeded) {
            return 0;
        }
        long d = Math.min(ackDeadline, Math.min(persistDeadline, timeWaitDeadline));
        return persisting ? d : Math.min(d, retransmitTimer.deadline());
    }

    /** Wakes the user threads parked on this socket if there was news for them since the last call. */
    void wakeUser() {
        if (userNews) {
            userNews = false;
            readWakeup.wake();
            writeWakeup.wake();
        }
    }

    /** True when the layer may forget the socket. */
    boolean finished() {
        return state == TcpState.CLOSED && !rstNeeded;
    }

    /**
     * Stack thread: the application closed (or shut down) this connection and what it wrote, or its FIN, is not yet
     * acknowledged, or a RST is still to go.
     */
    boolean deliveringAfterClose() {
        if (rstNeeded) {
            return true;
        }
        if (!shutdownRequested || reset || unreachable) {
            return false;
        }
        return switch (state) {
            case ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK -> true;
            default -> false;
        };
    }

    /** Sends whatever is due; returns the number of segments sent. */
    int transmit(long nowNanos, IpOutput out) {
        int sent = 0;
        handleRequests(nowNanos);
        if (rstNeeded) {
            if (emitReset(nowNanos, out)) {
                rstNeeded = false;
                sent++;
            }
            return sent;
        }
        if (state == TcpState.CLOSED) {
            return sent;
        }
        if (sendMss == 0) {
            int route = out.maxL4Length(remoteAddress) - TcpSegment.HEADER_LENGTH;
            advertisedMss = Math.min(config.mss > 0 ? config.mss : 0xffff, route);
        }
        runTimers(nowNanos);
        switch (state) {
            case CLOSED -> {
                if (rstNeeded && emitReset(nowNanos, out)) {
                    rstNeeded = false;
                    sent++;
                }
                return sent;
            }
            case SYN_SENT, SYN_RECEIVED -> {
                if (synNeeded) {
                    int flags = state == TcpState.SYN_SENT ? SYN : SYN | ACK;
                    if (emit(nowNanos, out, 0, 0, flags)) {
                        synNeeded = false;
                        sndMax = 1;
                        sndNxt = 1;
                        if (!retransmitTimer.running()) {
                            retransmitTimer.start(nowNanos);
                        }
                        sent++;
                    }
                } else if (ackNow && state == TcpState.SYN_RECEIVED && emit(nowNanos, out, sndNxt, 0, ACK)) {
                    sent++;
                }
                return sent;
            }
            default -> {
            }
        }
        if (sendMss == 0) {
            startSending(out);
        }
        if (state != TcpState.TIME_WAIT) {
            sent += sendData(nowNanos, out);
        }
        if (!ackNow && canReceive() && advertisableRight() - rcvAdvertisedRight
                >= Math.min(receiveCapacity / 2, advertisedMss)) {
            // The user freed enough of the ring: tell the peer, or a closed window would never reopen.
            ackNow = true;
            counters.increment(TcpCounters.CONN_WINDOW_UPDATES);
        }
        if (ackNow && emit(nowNanos, out, sndNxt, 0, ACK)) {
            sent++;
            while (duplicateAcksOwed > 0 && emit(nowNanos, out, sndNxt, 0, ACK)) {
                duplicateAcksOwed--;
                sent++;
            }
        }
        duplicateAcksOwed = 0;
        return sent;
    }

    private boolean canReceive() {
        return state == TcpState.ESTABLISHED || state == TcpState.FIN_WAIT_1 || state == TcpState.FIN_WAIT_2;
    }

    /** Send MSS: the peer's MSS clamped to the route (RFC 9293 §3.7.1), less the timestamp option we always send. */
    private void startSending(IpOutput out) {
        int route = out.maxL4Length(remoteAddress) - TcpSegment.HEADER_LENGTH;
        int mss = Math.min(peerMss, route);
        if (config.mss > 0) {
            mss = Math.min(mss, config.mss);
        }
        sendMss = Math.max(64, mss - (timestamps ? TIMESTAMP_OPTION_BYTES : 0));
        congestion.init(sendMss, (long) config.initialWindowSegments * sendMss);
        counters.set(TcpCounters.CONN_SEND_MSS, sendMss);
        publishCongestion();
    }

    private void handleRequests(long nowNanos) {
        if (abortRequested && state != TcpState.CLOSED) {
            abortNow();
            return;
        }
        if (closeRequested && !receiveClosed) {
            receiveClosed = true;
            if (receiveRing != null && receiveRing.readableBytes() > 0 && state.synchronizedState()) {
                abortNow();
                return;
            }
            if (state == TcpState.SYN_SENT) {
                enterClosed(false);
                return;
            }
        }
        if (shutdownRequested && finOffset < 0) {
            switch (state) {
                case ESTABLISHED -> {
                    finOffset = sendRing.tail() + 1;
                    state = TcpState.FIN_WAIT_1;
                }
                case CLOSE_WAIT -> {
                    finOffset = sendRing.tail() + 1;
                    state = TcpState.LAST_ACK;
                }
                case SYN_SENT -> enterClosed(false);
                default -> {
                    // SYN_RECEIVED: the FIN waits until the connection is established.
                }
            }
        }
    }

    private void runTimers(long nowNanos) {
        if (timeWaitDeadline != NEVER && nowNanos >= timeWaitDeadline) {
            enterClosed(false);
            return;
        }
        if (ackDeadline != NEVER && nowNanos >= ackDeadline) {
            ackNow = true;
        }
        if (persisting) {
            return;
        }
        if (!retransmitTimer.expired(nowNanos)) {
            return;
        }
        counters.increment(TcpCounters.CONN_RTO_EXPIRIES);
        if (state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED) {
            if (retransmitTimer.backoffs() >= config.maxSynRetransmits) {
                enterClosed(true);
                return;
            }
            retransmitTimer.backoff();
            retransmitTimer.start(nowNanos);
            synNeeded = true;
            counters.increment(TcpCounters.CONN_RETRANSMITS);
            return;
        }
        if (sndMax <= sndUna) {
            retransmitTimer.stop();
            return;
        }
        if (retransmitTimer.backoffs() >= config.maxRetransmits) {
            abortNow();
            return;
        }
        // RFC 6298 §5.4-5.6 and RFC 5681 §3.1: go back to SND.UNA with a one-segment window.
        congestion.onTimeout(nowNanos, sndMax - sndUna);
        publishCongestion();
        inRecovery = false;
        recoveryPoint = sndMax;
        dupAcks = 0;
        // The peer may renege on SACKed data (RFC 2018 §8): start over from SND.UNA.
        scoreboard.clear();
        sndNxt = sndUna;
        rttTiming = false;
        retransmitTimer.backoff();
        retransmitTimer.start(nowNanos);
    }

    private int sendData(long nowNanos, IpOutput out) {
        long dataEnd = sendRing.tail() + 1;
        long dataLimit = finOffset >= 0 ? finOffset : dataEnd;
        long sendEnd = finOffset >= 0 ? finOffset + 1 : dataEnd;
        int count = 0;
        boolean windowBlocked = false;
        int maxFramePayload = maxFramePayload(out);
        while (count < MAX_BURST) {
            long cwnd = congestion.congestionWindow();
            long start;
            long limit;
            long room;
            boolean retransmission;
            if (inRecovery) {
                long pipe = scoreboard.pipe(sndUna, sndMax, sendMss);
                if (!sackPermitted) {
                    pipe = Math.max(0, pipe - Math.min((long) dupAcks * sendMss, sndMax - sndUna));
                }
                if (pipe >= cwnd) {
                    break;
                }
                room = cwnd - pipe;
                if (scoreboard.nextLost(sndUna, sndMax, sendMss)) {
                    start = scoreboard.lostStart();
                    limit = scoreboard.lostEnd();
                    retransmission = true;
                } else if (sndMax < sendEnd) {
                    start = sndMax;
                    limit = sendEnd;
                    retransmission = false;
                } else {
                    break;
                }
            } else {
                long window = cwnd + (sndNxt >= sndMax ? limitedTransmit() : 0);
                if (sndNxt - sndUna >= window) {
                    break;
                }
                room = window - (sndNxt - sndUna);
                start = scoreboard.skipSacked(sndNxt);
                if (start >= sendEnd) {
                    break;
                }
                retransmission = start < sndMax;
                limit = retransmission ? scoreboard.nextSackedStart(start, sndMax) : sendEnd;
            }
            long length = Math.min(Math.min(limit, dataLimit), start + frameBytes(maxFramePayload, room)) - start;
            if (length < 0) {
                length = 0;
            }
            if (!retransmission) {
                long usable = sndUna + sndWnd - start;
                if (length > usable) {
                    // Sender SWS avoidance (RFC 9293 §3.8.6.2.1): no small segment unless it is half the peer's
                    // largest window.
                    if (usable <= 0 || usable < sendMss && usable < maxSndWnd / 2) {
                        if (!(length == 0 && start == finOffset)) {
                            windowBlocked = true;
                            break;
                        }
                    }
                    // A super-frame shrinks to whole segments; only a lone segment may be cut short.
                    length = usable >= sendMss ? usable - usable % sendMss : Math.max(0, usable);
                }
            }
            boolean fin = finOffset >= 0 && start + length == finOffset && limit > finOffset;
            if (length == 0 && !fin) {
                break;
            }
            int flags = ACK | (fin ? FIN : 0) | (start + length == dataEnd && length > 0 ? PSH : 0);
            if (!emit(nowNanos, out, start, (int) length, flags)) {
                break;
            }
            long end = start + length + (fin ? 1 : 0);
            if (retransmission) {
                counters.increment(TcpCounters.CONN_RETRANSMITS);
                if (rttTiming && start < rttTimedEnd) {
                    rttTiming = false; // Karn: an ambiguous sample
                }
                if (inRecovery) {
                    scoreboard.highRxt(Math.max(scoreboard.highRxt(), end));
                }
            } else if (!timestamps && !rttTiming) {
                rttTiming = true;
                rttTimedEnd = end;
                rttStartNanos = nowNanos;
            }
            if (!inRecovery || !retransmission) {
                sndNxt = end;
            }
            sndMax = Math.max(sndMax, end);
            if (!retransmitTimer.running()) {
                retransmitTimer.start(nowNanos);
            }
            count++;
        }
        if (windowBlocked && sndMax - sndUna <= (sndWnd == 0 ? 1 : 0)) {
            count += persist(nowNanos, out, dataLimit);
        }
        return count;
    }

    /**
     * Most payload one frame may carry: one MSS, or with TSO as many whole MSS as a super-frame holds once the
     * largest TCP header is counted (45 x 1448 B in 64 KiB), so every segment the device cuts is full-sized.
     */
    private int maxFramePayload(IpOutput out) {
        int superFrame = out.maxTcpOffloadLength(remoteAddress);
        if (superFrame <= out.maxL4Length(remoteAddress)) {
            return sendMss;
        }
        int room = superFrame - TcpSegment.MAX_HEADER_LENGTH;
        return Math.max(sendMss, room - room % sendMss);
    }

    /**
     * Payload of the next frame: one MSS, or with TSO the whole MSS that fit {@code room} (what the congestion window
     * leaves), at least one. Sequence numbers, SACK and the window count bytes, so a super-frame is just the run of
     * MSS-sized segments the device cuts it into: each is acknowledged, SACKed or retransmitted on its own.
     */
    private long frameBytes(int maxFramePayload, long room) {
        if (maxFramePayload == sendMss) {
            return sendMss;
        }
        return Math.max(sendMss, Math.min(maxFramePayload, room - room % sendMss));
    }

    /**
     * RFC 3042 Limited Transmit: while the peer reports data beyond a hole (SACKed bytes, or duplicate ACKs without
     * SACK), up to two new segments may go out beyond cwnd. A loss in a window of a few segments then still brings
     * the three SACKs or duplicate ACKs fast retransmit needs, instead of waiting out the retransmission timeout.
     */
    private long limitedTransmit() {
        long reported = Math.max((long) Math.min(dupAcks, 2) * sendMss, scoreboard.sackedBytes());
        return Math.min(2L * sendMss, reported);
    }

    /**
     * Window too small to send and nothing in flight to bring an ACK (RFC 9293 §3.8.6.1): at the persist timer's
     * backed-off interval, probe with one byte past a zero window, or fill a small window (the sender SWS override).
     */
    private int persist(long nowNanos, IpOutput out, long dataLimit) {
        if (!persisting) {
            persisting = true;
            persistBackoffs = 0;
            retransmitTimer.stop();
            persistDeadline = nowNanos + retransmitTimer.rtoNanos();
            return 0;
        }
        if (nowNanos < persistDeadline) {
            return 0;
        }
        long usable = sndWnd - (sndMax - sndUna);
        long length = Math.max(0, Math.min(Math.min(Math.max(usable, 1), sendMss), dataLimit - sndUna));
        boolean fin = finOffset >= 0 && sndUna + length == finOffset;
        if (!emit(nowNanos, out, sndUna, (int) length, ACK | (fin ? FIN : 0))) {
            return 0;
        }
        long end = sndUna + length + (fin ? 1 : 0);
        sndNxt = Math.max(sndNxt, end);
        sndMax = Math.max(sndMax, end);
        counters.increment(TcpCounters.CONN_ZERO_WINDOW_PROBES);
        persistBackoffs = Math.min(persistBackoffs + 1, 20);
        persistDeadline = nowNanos + Math.min(config.maxRtoNanos, retransmitTimer.rtoNanos() << persistBackoffs);
        return 1;
    }

    /** Right edge we could advertise now, rounded to the window scale and limited by the 16-bit field. */
    private long advertisableRight() {
        int shift = receiveShift();
        long window = Math.max(0, receiveRightEdge() - rcvNxt);
        return rcvNxt + (Math.min(window >>> shift, 0xffff) << shift);
    }

    private boolean emit(long nowNanos, IpOutput out, long seqOffset, int length, int flags) {
        TcpOptions o = txOptions.clear();
        boolean syn = (flags & SYN) != 0;
        boolean synAck = syn && (flags & ACK) != 0;
        if (syn) {
            o.mss = advertisedMss;
            if (synAck ? sackPermitted : config.sack) {
                o.sackPermitted = true;
            }
            if (synAck ? timestamps : config.timestamps) {
                o.timestamps = true;
                o.tsVal = tsNow(nowNanos);
                o.tsEcr = synAck ? tsRecent : 0;
            }
            if (synAck ? windowScaling : config.windowScaling) {
                o.windowScale = rcvWndShift;
            }
        } else {
            if (timestamps) {
                o.timestamps = true;
                o.tsVal = tsNow(nowNanos);
                o.tsEcr = tsRecent;
            }
            if (sackPermitted && !outOfOrder.isEmpty() && (flags & RST) == 0) {
                fillSackBlocks(o);
            }
        }
        int headerLength = TcpSegment.HEADER_LENGTH + o.length();
        int maxL4 = out.maxL4Length(remoteAddress);
        // Segments cut from a super-frame carry its header each, SACK blocks included, and at most one MSS.
        int segmentSize = Math.min(sendMss, maxL4 - headerLength);
        boolean superFrame = length > segmentSize && out.maxTcpOffloadLength(remoteAddress) > maxL4;
        while (!superFrame && headerLength + length > maxL4 && o.sackCount > 0) {
            // A full segment has no room for every SACK block: send fewer (RFC 2018 §3 allows any number).
            o.sackCount--;
            headerLength = TcpSegment.HEADER_LENGTH + o.length();
        }
        int l4Length = headerLength + length;
        int at = out.claim(remoteAddress, TcpSegment.PROTOCOL, l4Length);
        if (at == IpOutput.NO_ROUTE) {
            // Like connect(2)'s ENETUNREACH: the connection ends now instead of retrying at every poll.
            layer.counters().increment(TcpCounters.DROPPED_NO_ROUTE);
            unreachable = true;
            enterClosed(true);
            return false;
        }
        if (at == IpOutput.NO_ROOM) {
            layer.counters().increment(TcpCounters.DROPPED_NO_ROOM);
            return false;
        }
        int window;
        if (syn) {
            window = Math.min(receiveCapacity, 0xffff);
        } else {
            int shift = receiveShift();
            long right = advertisableRight();
            window = (int) ((right - rcvNxt) >>> shift);
            rcvAdvertisedRight = Math.max(rcvAdvertisedRight, right);
        }
        TcpSegment s = layer.txSegment().wrapForWrite(out.buffer(), at, l4Length);
        s.sourcePort(localPort)
                .destinationPort(remotePort)
                .sequenceNumber(iss + (int) seqOffset)
                .acknowledgmentNumber((flags & ACK) != 0 ? irs + (int) rcvNxt : 0)
                .headerLength(headerLength)
                .flags(flags)
                .window(window)
                .urgentPointer(0);
        s.writeOptions(o);
        if (length > 0) {
            sendRing.copyOut(seqOffset - 1, out.buffer(), at + headerLength, length);
        }
        if (out.checksumOffload()) {
            s.partialChecksum(out.sourceAddress(), remoteAddress);
            out.offloadTcp(at, headerLength, superFrame ? segmentSize : 0);
        } else {
            s.computeChecksum(out.sourceAddress(), remoteAddress);
        }
        out.commit(nowNanos, at);
        counters.increment(TcpCounters.CONN_SEGMENTS_OUT);
        layer.counters().increment(TcpCounters.SEGMENTS_OUT);
        if ((flags & ACK) != 0) {
            ackNow = false;
            ackDeadline = NEVER;
            lastAckSent = rcvNxt;
        }
        return true;
    }

    /** RFC 2018 §4: the block holding the newest data first, then the others, as many as the option room allows. */
    private void fillSackBlocks(TcpOptions o) {
        int max = o.timestamps ? 3 : 4;
        int n = 0;
        long latest = outOfOrder.latestStart();
        for (int i = 0; i < outOfOrder.count() && n < max; i++) {
            if (outOfOrder.start(i) == latest) {
                o.sackLeft[n] = irs + (int) outOfOrder.start(i);
                o.sackRight[n] = irs + (int) outOfOrder.end(i);
                n++;
            }
        }
        for (int i = 0; i < outOfOrder.count() && n < max; i++) {
            if (outOfOrder.start(i) != latest) {
                o.sackLeft[n] = irs + (int) outOfOrder.start(i);
                o.sackRight[n] = irs + (int) outOfOrder.end(i);
                n++;
            }
        }
        o.sackCount = n;
    }

    private boolean emitReset(long nowNanos, IpOutput out) {
        int at = out.claim(remoteAddress, TcpSegment.PROTOCOL, TcpSegment.HEADER_LENGTH);
        if (at == IpOutput.NO_ROUTE) {
            layer.counters().increment(TcpCounters.DROPPED_NO_ROUTE);
            rstNeeded = false;
            return false;
        }
        if (at == IpOutput.NO_ROOM) {
            return false;
        }
        layer.txSegment().wrapForWrite(out.buffer(), at, TcpSegment.HEADER_LENGTH)
                .sourcePort(localPort)
                .destinationPort(remotePort)
                .sequenceNumber(iss + (int) sndNxt)
                .acknowledgmentNumber(irs + (int) rcvNxt)
                .headerLength(TcpSegment.HEADER_LENGTH)
                .flags(RST | ACK)
                .window(0)
                .urgentPointer(0)
                .computeChecksum(out.sourceAddress(), remoteAddress);
        out.commit(nowNanos, at);
        counters.increment(TcpCounters.CONN_SEGMENTS_OUT);
        layer.counters().increment(TcpCounters.SEGMENTS_OUT);
        layer.counters().increment(TcpCounters.RESETS_SENT);
        return true;
    }

    // ---------------------------------------------------------------- test and report views (stack thread)

    int iss() {
        return iss;
    }

    int sendMss() {
        return sendMss;
    }

    int sendWindowShift() {
        return sndWndShift;
    }

    int receiveWindowShift() {
        return receiveShift();
    }

    boolean timestampsEnabled() {
        return timestamps;
    }

    boolean sackEnabled() {
        return sackPermitted;
    }

    long retransmissionTimeoutNanos() {
        return retransmitTimer.rtoNanos();
    }

    long sendWindow() {
        return sndWnd;
    }
}
