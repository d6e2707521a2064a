package dev.tapir.cli;

import dev.tapir.engine.report.TestResult;
import dev.tapir.engine.report.Units;
import dev.tapir.engine.report.Verification;
import dev.tapir.engine.test.Protocol;
import dev.tapir.engine.test.TestSpec;
import dev.tapir.engine.transport.DatagramOptions;
import dev.tapir.engine.transport.StreamOptions;
import java.security.SecureRandom;
import picocli.CommandLine.Option;

/** The client's test flags, read as iperf3 reads them, turned into one {@link TestSpec}. */
final class TestOptions {
    static final int TCP_DEFAULT_LENGTH = 128 * 1024;
    static final int IPERF3_UDP_DEFAULT_LENGTH = 1460;
    static final int IPERF2_UDP_DEFAULT_LENGTH = 1470;
    static final long UDP_DEFAULT_RATE = 1_000_000;
    static final double DEFAULT_SECONDS = 10;
    /** The longest omitted start a server takes (iperf3's and tapir's both refuse more). */
    static final int MAX_OMIT_SECONDS = 600;

    @Option(names = {"-u", "--udp"}, description = "UDP instead of TCP.")
    boolean udp;

    @Option(names = {"-l", "--length"}, paramLabel = "LEN",
            description = "Bytes per write (TCP, default 128K) or per datagram (UDP, default as iperf3: the control "
                    + "connection's MSS, 32K on loopback; 1470 with --iperf2). K/M/G = 1024^n.")
    String length;

    @Option(names = {"-n", "--bytes"}, paramLabel = "BYTES", description = "Send this many bytes, then stop. K/M/G = 1024^n.")
    String bytes;

    @Option(names = {"-k", "--blockcount"}, paramLabel = "BLOCKS", description = "Send this many writes/datagrams, then stop.")
    String blocks;

    @Option(names = {"-t", "--time"}, paramLabel = "SECS", description = "Seconds to send for (default 10).")
    Double seconds;

    @Option(names = {"-i", "--interval"}, paramLabel = "SECS", defaultValue = "1",
            description = "Seconds between interval reports, 0 for none (default 1).")
    double interval;

    @Option(names = {"-b", "--bitrate"}, paramLabel = "RATE",
            description = "Target rate in bits/s, K/M/G = 1000^n; 0 = unlimited (default: unlimited TCP, 1M UDP).")
    String rate;

    @Option(names = {"-P", "--parallel"}, paramLabel = "N", defaultValue = "1", description = "Parallel streams.")
    int streams;

    @Option(names = {"-R", "--reverse"}, description = "The server sends, the client receives.")
    boolean reverse;

    @Option(names = "--bidir", description = "Both directions at once.")
    boolean bidirectional;

    @Option(names = {"-w", "--window"}, paramLabel = "SIZE", description = "Socket buffer size. K/M/G = 1024^n.")
    String window;

    @Option(names = {"-M", "--set-mss"}, paramLabel = "MSS", description = "TCP maximum segment size.")
    int mss;

    @Option(names = {"-N", "--no-delay"}, description = "Disable Nagle's algorithm (TCP_NODELAY).")
    boolean noDelay;

    @Option(names = {"-C", "--congestion"}, paramLabel = "ALGO", description = "TCP congestion control algorithm.")
    String congestion;

    @Option(names = "--no-gso", description = "UDP without GSO/GRO: one datagram per send and per receive.")
    boolean noGso;

    @Option(names = "--verify", description = "Send a seeded pattern the receiver (a tapir server, or this client "
            + "with -R) checks byte by byte; a mismatch fails the run.")
    boolean verify;

    @Option(names = {"-O", "--omit"}, paramLabel = "SECS", defaultValue = "0",
            description = "Leave the first SECS seconds (TCP slow start) out of the totals; the test runs that much "
                    + "longer (iperf3 protocol, with -t).")
    int omitSeconds;

    @Option(names = "--verify-seed", paramLabel = "SEED",
            description = "Seed of the --verify pattern (default: random; printed with the result to repeat a run).")
    Long verifySeed;

    TestSpec toSpec(boolean iperf2) {
        if (verifySeed != null && !verify) {
            throw new UserError("--verify-seed goes with --verify");
        }
        if (omitSeconds < 0 || omitSeconds > MAX_OMIT_SECONDS) {
            throw new UserError("-O must be between 0 and " + MAX_OMIT_SECONDS + " seconds, got " + omitSeconds);
        }
        if (omitSeconds > 0 && iperf2) {
            throw new UserError("-O needs the iperf3 protocol (not --iperf2)");
        }
        if (verify && iperf2) {
            throw new UserError("--verify needs the iperf3 protocol: iperf 2's has no room to ask the server to check");
        }
        Protocol protocol = udp ? Protocol.UDP : Protocol.TCP;
        int udpDefault = iperf2 ? IPERF2_UDP_DEFAULT_LENGTH : IPERF3_UDP_DEFAULT_LENGTH;
        long len = length == null ? (udp ? udpDefault : TCP_DEFAULT_LENGTH) : Units.parseSize(length);
        if (len <= 0 || len > Integer.MAX_VALUE) {
            throw new UserError("-l must be between 1 byte and 2G, got " + length);
        }
        long total = bytes == null ? 0 : Units.parseSize(bytes);
        long count = blocks == null ? 0 : Units.parseSize(blocks);
        if ((total > 0 || count > 0) && seconds != null) {
            throw new UserError("give -t, or -n/-k, not both");
        }
        double secs = seconds == null ? DEFAULT_SECONDS : seconds;
        if (Double.isNaN(secs) || secs <= 0 || secs > 86_400) {
            throw new UserError("-t must be between 0 and 86400 seconds, got " + seconds);
        }
        if (Double.isNaN(interval) || interval < 0 || interval > 3_600) {
            throw new UserError("-i must be between 0 and 3600 seconds, got " + interval);
        }
        long bitrate = rate == null ? (udp ? UDP_DEFAULT_RATE : 0) : Units.parseRate(rate);
        long windowBytes = window == null ? 0 : Units.parseSize(window);
        if (windowBytes > Integer.MAX_VALUE) {
            throw new UserError("-w must be under 2G, got " + window);
        }
        return new TestSpec(protocol, (int) len, total, count, (long) (secs * 1e9), (long) (interval * 1e9),
                bitrate, streams, reverse, bidirectional,
                new StreamOptions((int) windowBytes, mss, noDelay, congestion),
                new DatagramOptions((int) windowBytes, !noGso), verify);
    }

    /** The seed of the --verify pattern: the one given, else a random one drawn once. */
    long verifySeed() {
        if (verifySeed == null) {
            verifySeed = new SecureRandom().nextLong();
        }
        return verifySeed;
    }

    /** After the report was printed: a --verify mismatch fails the run with its one line. */
    static void requireVerified(TestResult result) {
        Verification v = result.verification();
        if (v != null && v.failed()) {
            throw new UserError(v.line());
        }
    }
}
