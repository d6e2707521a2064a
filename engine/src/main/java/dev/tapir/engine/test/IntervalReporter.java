package dev.tapir.engine.test;

import dev.tapir.engine.report.Interval;
import dev.tapir.engine.report.IntervalSample;
import dev.tapir.engine.report.ReportSink;
import dev.tapir.engine.report.TcpFigures;
import dev.tapir.engine.transport.TcpStats;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * Samples the streams' counters on its own thread every {@code intervalNanos} on an absolute schedule from the test's
 * start (a late wake-up does not shift later intervals), and hands each {@link Interval} to a {@link ReportSink}.
 * It also follows each TCP sender's connection state (cwnd, RTT) to build the {@link TcpFigures} of the final report.
 * With {@code intervalNanos} 0 it prints nothing but still samples TCP state once a second for those figures.
 */
public final class IntervalReporter implements AutoCloseable {
    /**
     * A last, partial interval is reported only if it is at least this fraction of a full one (or, when asked, if any
     * stream moved data in it).
     */
    private static final double MIN_PARTIAL_FRACTION = 0.1;
    private static final long TCP_ONLY_PERIOD_NANOS = 1_000_000_000L;

    private final TestClock clock;
    private final long intervalNanos;
    private final List<ReportedStream> streams;
    private final ReportSink sink;
    private final Thread thread;
    private final TcpStats tcpStats = new TcpStats();
    private final long[] lastBytes;
    private final long[] lastPackets;
    private final long[] lastLost;
    private final long[] lastOutOfOrder;
    private final long[] lastRetransmits;
    private final long[] maxCwnd;
    private final long[] maxSndWnd;
    private final long[] maxRtt;
    private final long[] minRtt;
    private final long[] rttSum;
    private final long[] rttCount;
    private final long[] retransmits;
    private volatile boolean stopping;
    private volatile boolean flushPartial;
    private volatile boolean keepPartialWithData;
    private volatile long stopNanos;
    /** Set by {@link #endAt}: no interval ends after {@link #testEndNanos}. */
    private volatile boolean ended;
    private volatile long testEndNanos;
    private long lastEndNanos;
    /** iperf3's {@code -O}: the end of the omitted start ({@link System#nanoTime()}), 0 for none. */
    private final long omitEndNanos;
    /** Set once the counters were taken at {@link #omitEndNanos}; the report restarts its times from there. */
    private volatile boolean omitDone;
    private final long[] omitBytes;
    private final long[] omitPackets;
    private final long[] omitLost;

    public IntervalReporter(TestClock clock, long intervalNanos, List<ReportedStream> streams, ReportSink sink) {
        this(clock, intervalNanos, 0, streams, sink);
    }

    /**
     * A reporter whose first {@code omitNanos} are iperf3's omitted start ({@code -O}): their intervals are marked
     * omitted, later ones are timed from the omit's end, and {@link #omitted} gives each stream's figures at that end
     * for the totals to leave out.
     */
    public IntervalReporter(TestClock clock, long intervalNanos, long omitNanos, List<ReportedStream> streams,
            ReportSink sink) {
        this.clock = clock;
        this.omitEndNanos = omitNanos > 0 ? clock.startNanos() + omitNanos : 0;
        this.intervalNanos = intervalNanos;
        this.streams = List.copyOf(streams);
        this.sink = sink;
        int n = streams.size();
        lastBytes = new long[n];
        lastPackets = new long[n];
        lastLost = new long[n];
        lastOutOfOrder = new long[n];
        lastRetransmits = new long[n];
        maxCwnd = filled(n, -1);
        maxSndWnd = filled(n, -1);
        maxRtt = filled(n, -1);
        minRtt = filled(n, -1);
        rttSum = new long[n];
        rttCount = new long[n];
        retransmits = filled(n, -1);
        omitBytes = new long[n];
        omitPackets = new long[n];
        omitLost = new long[n];
        lastEndNanos = clock.startNanos();
        thread = Thread.ofPlatform().name("tapir-interval-reporter").daemon().unstarted(this::run);
    }

    private static long[] filled(int n, long value) {
        long[] a = new long[n];
        Arrays.fill(a, value);
        return a;
    }

    public void start() {
        thread.start();
    }

    /**
     * Stops sampling and waits for the thread. With {@code reportPartial}, the time since the last interval is
     * reported as a last, shorter interval if it is at least a tenth of one (as iperf3 does).
     */
    public void stop(boolean reportPartial) {
        stop(reportPartial, false);
    }

    /**
     * Like {@link #stop(boolean)}; with {@code keepPartialWithData} a shorter last interval is reported too when any
     * stream moved data in it (iperf3 3.12's rule: a test shorter than one interval still gets its one interval, and
     * the intervals add up to the totals).
     */
    public void stop(boolean reportPartial, boolean keepPartialWithData) {
        stop(reportPartial, keepPartialWithData, System.nanoTime());
    }

    /**
     * Like {@link #stop(boolean, boolean)}, the last interval ending at {@code endNanos} (a {@link System#nanoTime()}
     * reading, at or after {@link #endAt}) rather than now: a receiver that drained a while after its last byte ends
     * its report at that byte, so the intervals tile the run the totals cover.
     */
    public void stop(boolean reportPartial, boolean keepPartialWithData, long endNanos) {
        stopNanos = endNanos;
        flushPartial = reportPartial;
        this.keepPartialWithData = keepPartialWithData;
        stopping = true;
        LockSupport.unpark(thread);
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The test ended at {@code nanos}: no regular interval is reported past it, so the one still open when the test
     * ends closes at the end given to {@link #stop(boolean, boolean, long)}, not at a later tick during the drain.
     */
    public void endAt(long nanos) {
        testEndNanos = nanos;
        ended = true;
        LockSupport.unpark(thread);
    }

    @Override
    public void close() {
        if (thread.isAlive()) {
            stop(false);
        }
    }

    /**
     * Where the measured test starts ({@link System#nanoTime()}): the end of the omitted start once it passed,
     * otherwise the clock's origin.
     */
    public long measuredStartNanos() {
        return omitDone ? omitEndNanos : clock.startNanos();
    }

    /**
     * Stream {@code index}'s bytes, datagrams (sent, or highest sequence received) and lost datagrams in the omitted
     * start, all 0 without one; call after {@link #stop}.
     */
    public long[] omitted(int index) {
        return omitDone ? new long[] {omitBytes[index], omitPackets[index], omitLost[index]} : new long[3];
    }

    /** The TCP figures gathered for stream {@code index} (in the order given); call after {@link #stop}. */
    public TcpFigures tcpFigures(int index) {
        long mean = rttCount[index] > 0 ? rttSum[index] / rttCount[index] : -1;
        return new TcpFigures(retransmits[index], maxCwnd[index], maxSndWnd[index], maxRtt[index], minRtt[index],
                mean);
    }

    private void run() {
        long period = intervalNanos > 0 ? intervalNanos : TCP_ONLY_PERIOD_NANOS;
        long next = toOmitEnd(clock.startNanos() + period);
        while (true) {
            long wait = next - System.nanoTime();
            if (stopping) {
                long end = Math.max(stopNanos, lastEndNanos);
                if (intervalNanos > 0 && flushPartial && end - lastEndNanos > 0
                        && (end - lastEndNanos >= (long) (intervalNanos * MIN_PARTIAL_FRACTION)
                                || keepPartialWithData && movedSinceLastReport())) {
                    report(end);
                } else {
                    sampleTcp();
                }
                return;
            }
            if (ended && next - testEndNanos > 0) {
                // the test is over: only stop() reports the last interval
                LockSupport.park();
                continue;
            }
            if (wait > 0) {
                LockSupport.parkNanos(wait);
                continue;
            }
            if (omitEndNanos != 0 && !omitDone && next == omitEndNanos) {
                // the omitted start ends on this boundary, whatever the interval
                if (intervalNanos > 0) {
                    report(omitEndNanos);
                } else {
                    sampleTcp();
                }
                takeOmitted();
                next = omitEndNanos + period;
                continue;
            }
            if (intervalNanos > 0) {
                long now = System.nanoTime();
                report(ended && now - testEndNanos > 0 ? testEndNanos : now);
            } else {
                sampleTcp();
            }
            next = toOmitEnd(next + period);
        }
    }

    /** {@code next}, or the end of the omitted start if that still comes first: the omit ends on a boundary. */
    private long toOmitEnd(long next) {
        return omitEndNanos != 0 && !omitDone && next - omitEndNanos > 0 ? omitEndNanos : next;
    }

    /** The counters at the end of the omitted start, for the totals to leave out. */
    private void takeOmitted() {
        for (int i = 0; i < streams.size(); i++) {
            StreamCounters c = streams.get(i).counters();
            UdpReceiveStats udp = c.udp();
            omitBytes[i] = c.bytes();
            omitPackets[i] = udp != null ? udp.highestSequence() : c.packets();
            omitLost[i] = udp != null ? udp.lost() : 0;
        }
        omitDone = true;
    }

    private boolean movedSinceLastReport() {
        for (int i = 0; i < streams.size(); i++) {
            if (streams.get(i).counters().bytes() != lastBytes[i]) {
                return true;
            }
        }
        return false;
    }

    private void sampleTcp() {
        for (int i = 0; i < streams.size(); i++) {
            readTcp(i);
        }
    }

    /** Reads stream {@code i}'s TCP state into {@link #tcpStats}; false when there is none. */
    private boolean readTcp(int i) {
        ReportedStream stream = streams.get(i);
        if (stream.connection() == null || !stream.connection().tcpStats(tcpStats)) {
            return false;
        }
        retransmits[i] = tcpStats.retransmits;
        maxCwnd[i] = Math.max(maxCwnd[i], tcpStats.congestionWindowBytes);
        maxSndWnd[i] = Math.max(maxSndWnd[i], tcpStats.sendWindowBytes);
        maxRtt[i] = Math.max(maxRtt[i], tcpStats.rttMicros);
        minRtt[i] = minRtt[i] < 0 ? tcpStats.rttMicros : Math.min(minRtt[i], tcpStats.rttMicros);
        rttSum[i] += tcpStats.rttMicros;
        rttCount[i]++;
        return true;
    }

    private void report(long endNanos) {
        // omitted intervals are timed from the test's start, the rest from the omit's end (as iperf3 prints them)
        boolean omitted = omitEndNanos != 0 && !omitDone;
        long origin = omitted || omitEndNanos == 0 ? clock.startNanos() : omitEndNanos;
        double start = (lastEndNanos - origin) / 1e9;
        double end = (endNanos - origin) / 1e9;
        List<IntervalSample> samples = new ArrayList<>(streams.size());
        long sumBytes = 0;
        long sumPackets = 0;
        long sumRetransmits = 0;
        boolean retransmitsKnown = true;
        double jitterSum = 0;
        long sumLost = 0;
        long sumOutOfOrder = 0;
        boolean anySender = false;
        for (int i = 0; i < streams.size(); i++) {
            ReportedStream stream = streams.get(i);
            StreamCounters c = stream.counters();
            UdpReceiveStats udp = c.udp();
            long bytes = c.bytes();
            long packets = udp != null ? udp.highestSequence() : c.packets();
            long lost = udp != null ? udp.lost() : 0;
            long outOfOrder = udp != null ? udp.outOfOrder() : 0;
            double jitter = udp != null ? udp.jitterMillis() : 0;
            long retrans = -1;
            long cwnd = -1;
            long sndWnd = -1;
            long rtt = -1;
            long rttVar = -1;
            long pmtu = -1;
            if (readTcp(i)) {
                retrans = tcpStats.retransmits - lastRetransmits[i];
                lastRetransmits[i] = tcpStats.retransmits;
                cwnd = tcpStats.congestionWindowBytes;
                sndWnd = tcpStats.sendWindowBytes;
                rtt = tcpStats.rttMicros;
                rttVar = tcpStats.rttVarianceMicros;
                pmtu = tcpStats.pathMtu;
            }
            IntervalSample sample = new IntervalSample(stream.id(), stream.sender(), start, end,
                    bytes - lastBytes[i], packets - lastPackets[i], retrans, cwnd, sndWnd, rtt, rttVar, pmtu, jitter,
                    lost - lastLost[i], outOfOrder - lastOutOfOrder[i], omitted);
            lastBytes[i] = bytes;
            lastPackets[i] = packets;
            lastLost[i] = lost;
            lastOutOfOrder[i] = outOfOrder;
            samples.add(sample);
            sumBytes += sample.bytes();
            sumPackets += sample.packets();
            if (retrans < 0) {
                retransmitsKnown = false;
            } else {
                sumRetransmits += retrans;
            }
            jitterSum += jitter;
            sumLost += sample.lostPackets();
            sumOutOfOrder += sample.outOfOrder();
            anySender |= stream.sender();
        }
        double jitter = streams.isEmpty() ? 0 : jitterSum / streams.size();
        IntervalSample sum = new IntervalSample(0, anySender, start, end, sumBytes, sumPackets,
                retransmitsKnown ? sumRetransmits : -1, -1, -1, -1, -1, -1, jitter, sumLost, sumOutOfOrder, omitted);
        lastEndNanos = endNanos;
        sink.onInterval(new Interval(samples, sum));
    }
}
