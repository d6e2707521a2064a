package dev.tapir.engine.iperf3;

import dev.tapir.engine.test.PayloadVerifier;
import dev.tapir.engine.test.Protocol;
import dev.tapir.engine.test.StopSignal;
import dev.tapir.engine.test.TcpReceiver;
import dev.tapir.engine.test.TcpSender;
import dev.tapir.engine.test.TestClock;
import dev.tapir.engine.test.TestSpec;
import dev.tapir.engine.test.UdpReceiver;
import dev.tapir.engine.test.UdpSender;
import dev.tapir.engine.test.VerifyPattern;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The data streams of one iperf3 test on one side, and the threads running engine-core's loops on them. Senders and
 * receivers stop separately: senders when the test ends, receivers only after they drained what was in flight, so that
 * every byte that arrived is counted before results are built.
 */
final class DataStreams implements AutoCloseable {
    /** A receiver that saw nothing for this long after the senders stopped has drained its connection. */
    static final long DRAIN_QUIET_NANOS = 250_000_000L;
    /** Upper bound on draining, for a peer that keeps sending after TEST_END. */
    static final long DRAIN_LIMIT_NANOS = 5_000_000_000L;
    /**
     * With --verify every byte sent must be checked, so TCP receivers drain to the peer's FIN (a tapir sender shuts
     * its output down after its last byte, before TEST_END), riding out retransmission timeouts on a lossy path:
     * they give up only after this long without a byte, or after {@link #VERIFY_DRAIN_LIMIT_NANOS} in all (below a
     * client's control timeout, which waits meanwhile).
     */
    static final long VERIFY_DRAIN_QUIET_NANOS = 5_000_000_000L;
    static final long VERIFY_DRAIN_LIMIT_NANOS = 25_000_000_000L;
    private static final long JOIN_MILLIS = 2_000;

    final List<DataStream> streams = new ArrayList<>();
    private final StopSignal sendStop = new StopSignal();
    private final StopSignal receiveStop = new StopSignal();
    private TestClock clock;

    void add(DataStream stream) {
        streams.add(stream);
    }

    /**
     * Builds one loop per stream and its thread, unstarted. {@code spec} is the whole test; a byte or block limit is
     * split over this side's sending streams (iperf3 counts -n and -k over all streams). {@code runUntilStopped} makes
     * senders ignore the duration and run until {@link #stopSenders()} (the server: the client decides when the test
     * ends). With a {@code pattern} ({@code --verify}) senders send it and receivers check it. A limit counts only
     * what is sent after the first {@code omitNanos} ({@code -O}).
     */
    void prepare(TestSpec spec, Iperf3DatagramHeader codec, VerifyPattern pattern, boolean runUntilStopped,
            String threadPrefix, long omitNanos) {
        clock = TestClock.unstarted();
        int senders = (int) streams.stream().filter(s -> s.sending).count();
        int senderIndex = 0;
        for (DataStream s : streams) {
            if (s.sending) {
                TestSpec own = senderSpec(spec, senderIndex++, senders, runUntilStopped);
                if (own == null) {
                    continue;
                }
                s.loop = spec.protocol() == Protocol.TCP
                        ? new TcpSender(own, s.connection, s.counters, clock, sendStop, pattern, s.id)
                                .omitFirst(omitNanos)
                        : new UdpSender(own, s.endpoint, s.counters, codec, clock, sendStop, pattern, s.id)
                                .omitFirst(omitNanos);
            } else {
                if (pattern != null) {
                    s.verifier = spec.protocol() == Protocol.TCP ? PayloadVerifier.forStream(pattern, s.id)
                            : PayloadVerifier.forDatagrams(pattern, s.id, spec.length(), codec.minimumLength());
                }
                s.loop = spec.protocol() == Protocol.TCP
                        ? new TcpReceiver(s.connection, s.counters, receiveStop, s.verifier)
                        : new UdpReceiver(s.endpoint, s.counters, codec, clock, receiveStop, spec.length(), 0,
                                s.verifier);
            }
            s.thread = Thread.ofPlatform().daemon().name(threadPrefix + "-stream-" + s.id).unstarted(s.loop);
        }
    }

    /** Starts the test's clock and the prepared loops. */
    void start() {
        clock.begin();
        for (DataStream s : streams) {
            if (s.thread != null) {
                s.thread.start();
            }
        }
    }

    /** The share of the test one sending stream carries, or null when its share of -n/-k is nothing. */
    static TestSpec senderSpec(TestSpec spec, int index, int senders, boolean runUntilStopped) {
        long bytes = share(spec.bytes(), index, senders);
        long blocks = share(spec.blocks(), index, senders);
        if (!spec.timed() && bytes == 0 && blocks == 0) {
            return null;
        }
        long duration = runUntilStopped && spec.timed() ? Long.MAX_VALUE / 4 : spec.durationNanos();
        return new TestSpec(spec.protocol(), spec.length(), bytes, blocks, duration, spec.intervalNanos(),
                spec.rateBitsPerSecond(), 1, spec.reverse(), spec.bidirectional(), spec.streamOptions(),
                spec.datagramOptions(), spec.verify());
    }

    private static long share(long total, int index, int parts) {
        return total / parts + (index < total % parts ? 1 : 0);
    }

    TestClock clock() {
        return clock;
    }

    boolean sendersFinished() {
        for (DataStream s : streams) {
            if (s.sending && !s.finished()) {
                return false;
            }
        }
        return true;
    }

    long bytesReceived() {
        long sum = 0;
        for (DataStream s : streams) {
            if (!s.sending) {
                sum += s.counters.bytes();
            }
        }
        return sum;
    }

    long bytesMoved() {
        long sum = 0;
        for (DataStream s : streams) {
            sum += s.counters.bytes();
        }
        return sum;
    }

    /**
     * Stops the senders, waits for them, sends FIN on their TCP connections so the peer sees the end, then waits (at
     * most {@link #DRAIN_LIMIT_NANOS}) until the peer acknowledged all data where the transport can tell. Otherwise a
     * receiver, which drains until a quiet gap of {@link #DRAIN_QUIET_NANOS}, could stop inside a retransmission
     * timeout on a lossy path (a tap drops frames when its queue is full) and miss the tail.
     */
    void stopSenders() throws InterruptedException {
        sendStop.stop();
        for (DataStream s : streams) {
            if (s.sending) {
                if (s.thread != null) {
                    s.thread.join(JOIN_MILLIS);
                }
                if (s.connection != null) {
                    try {
                        s.connection.shutdownOutput();
                    } catch (IOException e) {
                        // The peer may already have closed; its count is what it is.
                    }
                }
            }
        }
        long deadline = System.nanoTime() + DRAIN_LIMIT_NANOS;
        for (DataStream s : streams) {
            if (s.sending && s.connection != null) {
                while (s.connection.unacknowledgedBytes() > 0 && System.nanoTime() - deadline < 0) {
                    Thread.sleep(1);
                }
                s.connection.tcpStats(s.tcpStats);
            }
        }
    }

    /**
     * Lets the receivers run until each read end of stream, or nothing arrived for {@link #DRAIN_QUIET_NANOS}
     * (an iperf3 peer closes its data connections only after the results), then stops them. {@code toEndOfStream}
     * waits for end of stream through the longer {@link #VERIFY_DRAIN_QUIET_NANOS} instead.
     */
    void drainReceivers(boolean toEndOfStream) throws InterruptedException {
        long quiet = toEndOfStream ? VERIFY_DRAIN_QUIET_NANOS : DRAIN_QUIET_NANOS;
        long limit = toEndOfStream ? VERIFY_DRAIN_LIMIT_NANOS : DRAIN_LIMIT_NANOS;
        long start = System.nanoTime();
        long lastSeen = bytesReceived();
        long lastChange = start;
        while (!receiversFinished()) {
            long now = System.nanoTime();
            long seen = bytesReceived();
            if (seen != lastSeen) {
                lastSeen = seen;
                lastChange = now;
            } else if (now - lastChange >= quiet || now - start >= limit) {
                break;
            }
            Thread.sleep(10);
        }
        receiveStop.stop();
        for (DataStream s : streams) {
            if (!s.sending && s.thread != null) {
                s.thread.join(JOIN_MILLIS);
            }
        }
    }

    private boolean receiversFinished() {
        for (DataStream s : streams) {
            if (!s.sending && !s.finished()) {
                return false;
            }
        }
        return true;
    }

    /** The first loop error, as one line, or null. */
    String failure() {
        for (DataStream s : streams) {
            IOException e = switch (s.loop) {
                case TcpSender l -> l.failure();
                case TcpReceiver l -> l.failure();
                case UdpSender l -> l.failure();
                case UdpReceiver l -> l.failure();
                case null, default -> null;
            };
            if (e != null) {
                return "stream " + s.id + ": " + e.getMessage();
            }
        }
        return null;
    }

    /** Stops every loop, waits for the threads and closes every connection and endpoint. */
    @Override
    public void close() {
        sendStop.stop();
        receiveStop.stop();
        for (DataStream s : streams) {
            if (s.thread != null) {
                try {
                    s.thread.join(JOIN_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            s.close();
        }
    }
}
