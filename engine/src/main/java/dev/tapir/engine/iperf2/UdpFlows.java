package dev.tapir.engine.iperf2;

import dev.tapir.engine.report.Interval;
import dev.tapir.engine.test.DatagramHeaderCodec;
import dev.tapir.engine.test.IntervalReporter;
import dev.tapir.engine.test.StopSignal;
import dev.tapir.engine.test.StreamCounters;
import dev.tapir.engine.test.TestClock;
import dev.tapir.engine.test.UdpReceiveStats;
import dev.tapir.engine.test.UdpReceiver;
import dev.tapir.engine.transport.DatagramBatch;
import dev.tapir.engine.transport.DatagramEndpoint;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;

/**
 * The receiving loop of an iperf 2 UDP server: one socket on the server's port, any number of clients at once, each
 * sender (address and port) a flow of its own with its own statistics, as 2.1.8 gives each sender a thread and a
 * socket. So the streams of {@code iperf -c -u -P 2} are two tests with two server reports, and a client that comes
 * while another is running is served at once.
 *
 * <p>A flow begins with its sender's first valid datagram (a FIN from an unknown sender is a previous client's
 * re-sent one, ignored) and ends at its FIN, or when its sender falls silent for {@link #ABANDONED_NANOS}. Datagrams
 * of a flow that ended (the client re-sends its FIN until the report reaches it) are counted in
 * {@link Flow#datagramsAfterEnd()}, for the serving thread to answer each with the report again. A flow that ended
 * stays known until the serving thread is done with it and {@link #LINGER_NANOS} have passed, so that a late FIN is
 * not taken for a new client, then its place is freed. Each beginning and end is posted to {@link #poll()} for the
 * serving thread, which reports; the loop itself allocates only when a flow begins.
 *
 * <p>All answers go out of this one socket: a second socket bound to the port for a client (as 2.1.8 connects one)
 * takes, until it is connected, datagrams of other clients that the kernel finds it as fit for.
 */
final class UdpFlows implements Runnable {
    /** Senders served at once; datagrams from more are counted ({@link #refused()}) and dropped. */
    static final int MAX_FLOWS = 64;
    /** A flow whose sender fell silent this long without a FIN is abandoned (no report, not a result). */
    static final long ABANDONED_NANOS = 10_000_000_000L;
    /** How long an ended flow stays known: longer than the repeats of its report (at most 9 × 250 ms). */
    static final long LINGER_NANOS = 5_000_000_000L;
    private static final long SWEEP_NANOS = 100_000_000L;
    /** How old the arrival clock may grow before it is set again from the wall clock, while no flow runs. */
    private static final long CLOCK_NANOS = 60_000_000_000L;
    private static final long NO_SENDER = -1L;

    /** One sender's test. Fields marked "serving thread" belong to the thread that polls the flows. */
    static final class Flow {
        final int id;
        final InetSocketAddress client;
        final UdpReceiveStats stats = new UdpReceiveStats();
        final StreamCounters counters = new StreamCounters(stats);
        final long firstArrivalNanos;
        /** The client asked for trip times: its report is the extended one. */
        final boolean tripTimes;
        private final long sender;
        private long lastArrivalNanos;
        private long endedNanos;
        private volatile boolean ended;
        private volatile boolean finReceived;
        private volatile boolean reported;
        private volatile long datagramsAfterEnd;
        /**
         * Serving thread: the interval reporter, the intervals it made, whether the beginning was handled; once the
         * FIN came, the server report, how often it went out, when last, and how many late datagrams it answered.
         */
        IntervalReporter reporter;
        final List<Interval> intervals = new ArrayList<>();
        boolean begun;
        MemorySegment report;
        int reportWrites;
        long lastReportNanos;
        long answeredDatagrams;

        private Flow(int id, long sender, InetSocketAddress client, boolean tripTimes, long nowNanos) {
            this.id = id;
            this.sender = sender;
            this.client = client;
            this.tripTimes = tripTimes;
            this.firstArrivalNanos = nowNanos;
            this.lastArrivalNanos = nowNanos;
            counters.markStart(nowNanos);
        }

        /** True once the flow ended (its FIN, or abandoned). */
        boolean ended() {
            return ended;
        }

        /** True when the flow ended with its FIN (a test to report), false while running or when abandoned. */
        boolean finReceived() {
            return finReceived;
        }

        /** Datagrams from the sender after the flow ended: FINs re-sent because no report came back yet. */
        long datagramsAfterEnd() {
            return datagramsAfterEnd;
        }

        /** Serving thread: the end was handled; the loop may forget the flow after its linger. */
        void markReported() {
            reported = true;
        }

        boolean reported() {
            return reported;
        }
    }

    private final DatagramEndpoint endpoint;
    private final DatagramHeaderCodec codec;
    /** Turns arrival times into epoch microseconds (iperf 2's transit = arrival − sent); this thread's alone. */
    private final TestClock clock;
    private final StopSignal stop;
    private final AtomicInteger ids;
    private final DatagramBatch batch;
    private final Flow[] flows = new Flow[MAX_FLOWS];
    /** Beginnings and ends: at most two per flow alive, and a place is freed only after its end was taken. */
    private final OneToOneConcurrentArrayQueue<Flow> events = new OneToOneConcurrentArrayQueue<>(2 * MAX_FLOWS);
    private long cachedSender = NO_SENDER;
    private Flow cachedFlow;
    private long lastSweepNanos;
    private volatile long garbage;
    private volatile long refused;
    private volatile IOException failure;

    /**
     * @param ids numbers the flows (shared with the server's TCP streams, as iperf 2 numbers them)
     * @param maxDatagramLength the longest datagram to expect
     */
    UdpFlows(DatagramEndpoint endpoint, DatagramHeaderCodec codec, TestClock clock, StopSignal stop,
            AtomicInteger ids, int maxDatagramLength) {
        this.endpoint = endpoint;
        this.codec = codec;
        this.clock = clock;
        this.stop = stop;
        this.ids = ids;
        this.batch = UdpReceiver.newBatch(maxDatagramLength);
    }

    @Override
    public void run() {
        try {
            while (!stop.stopped()) {
                int n = endpoint.receive(batch, StopSignal.POLL_MILLIS);
                long now = System.nanoTime();
                if (n > 0) {
                    accept(n, now);
                }
                if (now - lastSweepNanos >= SWEEP_NANOS) {
                    sweep(now);
                    lastSweepNanos = now;
                }
            }
        } catch (IOException e) {
            failure = e;
        }
    }

    /** Serving thread: the next flow that began or ended, or null. */
    Flow poll() {
        return events.poll();
    }

    /** Datagrams that were not iperf 2's (too short, id 0), counted and dropped. */
    long garbage() {
        return garbage;
    }

    /** Datagrams dropped because {@link #MAX_FLOWS} senders were being served. */
    long refused() {
        return refused;
    }

    /** The error that ended the loop, or null. */
    IOException failure() {
        return failure;
    }

    private void accept(int n, long now) {
        // the kernel's receive time where the transport stamps datagrams (as 2.1.8 uses SO_TIMESTAMP), else now
        long receivedMicros = clock.epochMicros(now);
        MemorySegment memory = batch.buffer();
        int i = 0;
        while (i < n) {
            long offset = batch.offset(i);
            int length = batch.length(i);
            long sequence = codec.sequence(memory, offset, length);
            if (sequence == DatagramHeaderCodec.INVALID) {
                garbage++;
                i++;
                continue;
            }
            Flow flow = flowOf(i, sequence, now);
            if (flow == null || flow.ended) {
                // no room or a FIN from a sender not being served (dropped), or a FIN re-sent after the flow ended
                if (flow != null) {
                    flow.datagramsAfterEnd++;
                }
                i++;
                continue;
            }
            flow.lastArrivalNanos = now;
            long sent = codec.sentMicros(memory, offset, length);
            long stamped = batch.arrivalEpochMicros(i);
            long arrivalMicros = stamped != 0 ? stamped : receivedMicros;
            if (sequence < 0) {
                // the FIN counts as a datagram, as in 2.1.8
                flow.stats.onDatagram(-sequence, sent, arrivalMicros, length);
                flow.counters.addPackets(1);
                flow.counters.addBytes(length);
                end(flow, now, true);
                i++;
                continue;
            }
            int run = UdpReceiver.runLength(codec, batch, i, sequence, sent, true);
            long runBytes = batch.bytes(i, run);
            flow.stats.onRun(sequence, run, sent, arrivalMicros, runBytes);
            flow.counters.addPackets(run);
            flow.counters.addBytes(runBytes);
            i += run;
        }
    }

    /** The flow of datagram {@code i}'s sender; a new one for a new sender's data; null if none may be made. */
    private Flow flowOf(int i, long sequence, long now) {
        long sender = batch.sourceKey(i);
        if (sender == cachedSender) {
            return cachedFlow;
        }
        Flow found = null;
        int free = -1;
        for (int f = 0; f < MAX_FLOWS; f++) {
            Flow flow = flows[f];
            if (flow == null) {
                free = free < 0 ? f : free;
            } else if (flow.sender == sender) {
                found = flow;
                break;
            }
        }
        if (found == null) {
            if (sequence < 0) {
                // a test cannot begin with its end: a previous client re-sending its FIN
                return null;
            }
            if (free < 0) {
                refused++;
                return null;
            }
            found = new Flow(ids.incrementAndGet(), sender, batch.source(i),
                    Iperf2DatagramCodec.asksTripTimes(batch.buffer(), batch.offset(i), batch.length(i)), now);
            flows[free] = found;
            events.offer(found);
        }
        cachedSender = sender;
        cachedFlow = found;
        return found;
    }

    private void end(Flow flow, long endNanos, boolean fin) {
        flow.counters.markEnd(endNanos);
        flow.endedNanos = endNanos;
        flow.finReceived = fin;
        flow.ended = true;
        events.offer(flow);
    }

    /**
     * Abandons flows whose sender fell silent and forgets ended ones whose linger has passed; while no flow runs,
     * sets the arrival clock again if it is old (nanoTime and the wall clock drift apart).
     */
    private void sweep(long now) {
        boolean running = false;
        for (int f = 0; f < MAX_FLOWS; f++) {
            Flow flow = flows[f];
            if (flow == null) {
                continue;
            }
            running |= !flow.ended;
            if (!flow.ended && now - flow.lastArrivalNanos >= ABANDONED_NANOS) {
                end(flow, flow.lastArrivalNanos, false);
            } else if (flow.ended && flow.reported && now - flow.endedNanos >= LINGER_NANOS) {
                flows[f] = null;
                if (cachedFlow == flow) {
                    cachedFlow = null;
                    cachedSender = NO_SENDER;
                }
            }
        }
        if (!running && now - clock.startNanos() >= CLOCK_NANOS) {
            clock.begin();
        }
    }
}
