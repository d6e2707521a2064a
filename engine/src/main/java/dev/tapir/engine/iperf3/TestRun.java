package dev.tapir.engine.iperf3;

import dev.tapir.engine.report.CpuUtilization;
import dev.tapir.engine.report.Interval;
import dev.tapir.engine.report.ReportSink;
import dev.tapir.engine.report.StreamResult;
import dev.tapir.engine.report.TcpFigures;
import dev.tapir.engine.report.TestResult;
import dev.tapir.engine.report.TestStart;
import dev.tapir.engine.report.Transfer;
import dev.tapir.engine.report.UdpFigures;
import dev.tapir.engine.report.Verification;
import dev.tapir.engine.test.IntervalReporter;
import dev.tapir.engine.test.Protocol;
import dev.tapir.engine.test.ReportedStream;
import dev.tapir.engine.test.StreamCounters;
import dev.tapir.engine.test.TestSpec;
import dev.tapir.engine.test.UdpReceiveStats;
import dev.tapir.engine.test.VerifyPattern;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One side of one running iperf3 test: its data streams, the interval reporter sampling them, and the figures
 * exchanged at the end. Shared by {@link Iperf3Client} and {@link Iperf3Server}; both sides run the same code.
 */
final class TestRun implements AutoCloseable {
    final TestSpec spec;
    final DataStreams streams = new DataStreams();
    final Iperf3DatagramHeader codec;
    /** The {@code --verify} pattern, or null. */
    private final VerifyPattern pattern;
    private final List<Interval> intervals = Collections.synchronizedList(new ArrayList<>());
    private final ReportSink sink;
    private IntervalReporter reporter;
    private ProcessCpu cpu;
    private double[] cpuPercent = {0, 0, 0};
    /** When the test ended on this side (the client sent TEST_END, the server read it); 0 while it runs. */
    private long testEndNanos;
    /** The client's {@code -O}: this much of the start is reported as omitted and left out of the totals. */
    private final long omitNanos;

    /** @param pattern senders send it and receivers check it ({@code --verify}), or null */
    TestRun(TestSpec spec, boolean counter64, VerifyPattern pattern, ReportSink sink) {
        this(spec, counter64, pattern, sink, 0);
    }

    /** @param omitNanos the omitted start of the test ({@code -O}), 0 for none */
    TestRun(TestSpec spec, boolean counter64, VerifyPattern pattern, ReportSink sink, long omitNanos) {
        this.spec = spec;
        this.codec = new Iperf3DatagramHeader(counter64);
        this.pattern = pattern;
        this.sink = sink;
        this.omitNanos = omitNanos;
    }

    /** Counters for a new stream: UDP receivers also keep loss and jitter. */
    static StreamCounters countersFor(TestSpec spec, boolean sending) {
        return spec.protocol() == Protocol.UDP && !sending
                ? new StreamCounters(new UdpReceiveStats())
                : new StreamCounters();
    }

    /**
     * Builds the loops, their buffers and threads ahead of the test: the peer's clock runs from TEST_START, so what
     * {@link #start()} does before the first byte moves counts against this side (a cold JVM took ~60 ms).
     */
    void prepare(boolean runUntilStopped, String threadPrefix) {
        streams.prepare(spec, codec, pattern, runUntilStopped, threadPrefix, omitNanos);
    }

    /** Starts the prepared loops and the interval reporter. */
    void start() {
        streams.start();
        cpu = new ProcessCpu();
        List<ReportedStream> reported = new ArrayList<>();
        for (DataStream s : streams.streams) {
            reported.add(new ReportedStream(s.id, s.sending, s.counters, s.sending ? s.connection : null));
        }
        reporter = new IntervalReporter(streams.clock(), spec.intervalNanos(), omitNanos, reported, interval -> {
            intervals.add(interval);
            if (sink != null) {
                sink.onInterval(interval);
            }
        });
        reporter.start();
    }

    /** The test ends now: stops this side's senders (TCP sends FIN after the last byte). */
    void stopSending() throws InterruptedException {
        testEndNanos = System.nanoTime();
        reporter.endAt(testEndNanos);
        streams.stopSenders();
    }

    /**
     * After TEST_END: receivers drain what is still in flight, then the reporter stops. The last interval ends where
     * the streams do ({@link #endNanos}), not when the drain gave up waiting.
     */
    void finishReceiving() throws InterruptedException {
        streams.drainReceivers(pattern != null && spec.protocol() == Protocol.TCP);
        long end = testEndNanos;
        for (DataStream s : streams.streams) {
            end = Math.max(end, endNanos(s));
        }
        reporter.stop(true, true, end);
        cpuPercent = cpu.percentSinceStart();
    }

    /** This side's results for the peer, as iperf3's send_results() builds them. */
    Iperf3Results localResults(boolean tcp) {
        boolean sends = streams.streams.stream().anyMatch(s -> s.sending);
        List<Iperf3Results.Stream> list = new ArrayList<>();
        for (int i = 0; i < streams.streams.size(); i++) {
            DataStream s = streams.streams.get(i);
            double seconds = seconds(s);
            long[] omitted = reporter.omitted(i);
            UdpReceiveStats udp = s.counters.udp();
            long retransmits = -1;
            if (s.sending && tcp) {
                retransmits = Math.max(0, s.tcpStats.retransmits);
            }
            // As iperf3 3.12 sends them: bytes after the omitted start, datagram and loss counts whole (the peer
            // takes its own count at the omit's end off the packets)
            list.add(new Iperf3Results.Stream(s.id, s.counters.bytes() - omitted[0], retransmits,
                    udp == null ? 0 : udp.jitterMillis() / 1000.0,
                    udp == null ? 0 : udp.lost(),
                    tcp ? 0 : (s.sending ? s.counters.packets() : udp.highestSequence()),
                    0, seconds));
        }
        long senderHasRetransmits = !sends ? -1 : (tcp ? 1 : 0);
        return new Iperf3Results(cpuPercent[0], cpuPercent[1], cpuPercent[2], senderHasRetransmits,
                tcp ? localCongestion() : null, list, null, null, localVerification());
    }

    /**
     * This side's TCP congestion control: a sending stream's as the reporter sampled it, else a receiving one's read
     * now (the reporter samples only senders); null when no connection tells.
     */
    private String localCongestion() {
        for (DataStream s : streams.streams) {
            if (s.tcpStats.congestion == null && !s.sending && s.connection != null) {
                s.connection.tcpStats(s.tcpStats);
            }
            if (s.tcpStats.congestion != null) {
                return s.tcpStats.congestion;
            }
        }
        return null;
    }

    /**
     * What this side's receivers checked, or null without {@code --verify}. The first mismatch is the one of the
     * lowest-numbered stream.
     */
    Verification localVerification() {
        if (pattern == null) {
            return null;
        }
        Verification sum = Verification.clean(pattern.seed(), 0);
        for (DataStream s : streams.streams) {
            if (s.verifier != null) {
                long bad = s.verifier.firstBadOffset();
                sum = sum.plus(bad < 0 ? Verification.clean(pattern.seed(), s.verifier.bytesChecked())
                        : new Verification(pattern.seed(), s.verifier.bytesChecked(), s.id, bad,
                                s.verifier.expected(), s.verifier.actual()));
            }
        }
        return sum;
    }

    /**
     * A stream's duration, as iperf3 measures it: from the test's start, or the end of its omitted start (not from
     * when its thread got going, which on a loaded machine can be a tenth of a second later and would inflate the
     * rate), to {@link #endNanos}.
     */
    private double seconds(DataStream s) {
        long start = reporter.measuredStartNanos();
        long end = endNanos(s);
        return s.counters.startNanos() == 0 || end - start < 0 ? 0 : (end - start) / 1e9;
    }

    /**
     * Where a stream ends: a sender at its last write, or at the test's end if it was still sending then (a paced
     * sender notices the stop only when it wakes for its next datagram); a receiver at the test's end, or at its last
     * byte if that came later (in flight at TEST_END), so a slow UDP stream whose last datagram came early is not
     * reported as shorter than the test.
     */
    private long endNanos(DataStream s) {
        long end = s.counters.endNanos();
        if (testEndNanos == 0) {
            return end;
        }
        if (s.sending) {
            return end == 0 || end - testEndNanos > 0 ? testEndNanos : end;
        }
        return end == 0 || s.counters.bytes() == 0 || end - testEndNanos < 0 ? testEndNanos : end;
    }

    /** The report of this side: local counters for what it did, the peer's results for the other half. */
    TestResult result(TestStart start, boolean localSender, Iperf3Results peer) {
        List<StreamResult> results = new ArrayList<>();
        for (int i = 0; i < streams.streams.size(); i++) {
            DataStream s = streams.streams.get(i);
            // Like iperf3 (and like the figures sent to the peer): each stream's transfer runs from 0 to its own
            // duration, so a stream that started late never shows an end before its start.
            long[] omitted = reporter.omitted(i);
            Transfer local = Transfer.of(0, seconds(s), s.counters.bytes() - omitted[0]);
            Iperf3Results.Stream remote = peer == null ? null : peer.stream(s.id);
            Transfer other = remote == null ? Transfer.NONE
                    : Transfer.of(remote.startTime(), remote.endTime(), Math.max(0, remote.bytes()));
            UdpReceiveStats stats = s.counters.udp();
            TcpFigures tcp;
            UdpFigures udp = null;
            if (s.sending) {
                tcp = spec.protocol() == Protocol.TCP ? reporter.tcpFigures(i) : TcpFigures.UNKNOWN;
                if (spec.protocol() == Protocol.UDP) {
                    udp = remote == null ? new UdpFigures(0, 0, 0, 0)
                            : new UdpFigures(remote.jitterSeconds() * 1000.0, Math.max(0, remote.errors()),
                                    Math.max(0, remote.packets()), 0);
                }
                results.add(new StreamResult(s.id, local, other, tcp, udp, s.counters.packets() - omitted[1],
                        true));
            } else {
                // the peer's retransmits; the window and RTT figures belong to the sending socket, which this side
                // does not have: 0, as iperf3's client writes them in -R
                tcp = remote == null || spec.protocol() == Protocol.UDP ? TcpFigures.UNKNOWN
                        : new TcpFigures(remote.retransmits(), 0, 0, 0, 0, 0);
                if (stats != null) {
                    udp = new UdpFigures(stats.jitterMillis(), stats.lost() - omitted[2],
                            stats.highestSequence() - omitted[1], stats.outOfOrder());
                }
                results.add(new StreamResult(s.id, other, local, tcp, udp,
                        remote == null ? 0 : Math.max(0, remote.packets()), false));
            }
        }
        CpuUtilization cpuUse = new CpuUtilization(cpuPercent[0], cpuPercent[1], cpuPercent[2],
                peer == null ? 0 : peer.cpuUtilTotal(), peer == null ? 0 : peer.cpuUtilUser(),
                peer == null ? 0 : peer.cpuUtilSystem());
        String local = spec.protocol() == Protocol.TCP ? localCongestion() : null;
        String sender;
        String receiver;
        if (start.client()) {
            String remote = peer == null ? null : peer.congestionUsed();
            sender = localSender ? local : remote;
            receiver = localSender ? remote : local;
        } else {
            // as 3.12's server: only its own algorithm, as the sender's when it sends (-R, --bidir)
            boolean sends = streams.streams.stream().anyMatch(s -> s.sending);
            sender = sends ? local : null;
            receiver = sends ? null : local;
        }
        Verification verification = localVerification();
        if (verification != null && peer != null && peer.verification() != null) {
            verification = verification.plus(peer.verification());
        }
        return new TestResult(start, new ArrayList<>(intervals), results, localSender, cpuUse, sender, receiver,
                verification);
    }

    /** The first data-path error, as one line, or null. */
    String failure() {
        return streams.failure();
    }

    @Override
    public void close() {
        if (reporter != null) {
            reporter.close();
        }
        streams.close();
    }
}
