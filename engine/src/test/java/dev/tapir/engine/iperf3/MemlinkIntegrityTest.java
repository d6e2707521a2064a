package dev.tapir.engine.iperf3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tapir.engine.iperf3.Iperf3InteropTest.RunningServer;
import dev.tapir.engine.report.TestResult;
import dev.tapir.engine.report.Verification;
import dev.tapir.engine.stack.NetworkStack;
import dev.tapir.engine.stack.StackRunner;
import dev.tapir.engine.stack.UserspaceTransport;
import dev.tapir.engine.stack.iface.InterfaceConfig;
import dev.tapir.engine.stack.phy.FaultInjector;
import dev.tapir.engine.stack.phy.FaultInjector.Fault;
import dev.tapir.engine.stack.phy.MemoryLink;
import dev.tapir.engine.stack.stats.StackCounter;
import dev.tapir.engine.stack.tcp.TcpCounters;
import dev.tapir.engine.test.Protocol;
import dev.tapir.engine.test.TestSpec;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code --verify} TCP transfers between two tapir userspace stacks over the in-memory link with faults on both
 * directions, the set-up {@code tapir memlink} runs (iperf3 dialect, a server on one stack, the client on the other).
 * Every run must finish and arrive byte-exact: every byte checked against the seeded pattern, none different.
 */
class MemlinkIntegrityTest {
    private static final long MB = 1024 * 1024;
    /** Completion bound per run; a run that stalls fails here instead of hanging the build. */
    private static final Duration BOUND = Duration.ofSeconds(240);

    private record Faults(String name, UnaryOperator<FaultInjector.Options> apply) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final Faults LOSS_1 = new Faults("1% loss", o -> o.withLoss(1));
    private static final Faults LOSS_5 = new Faults("5% loss", o -> o.withLoss(5));
    private static final Faults REORDER_2 = new Faults("2% reorder", o -> o.withReorder(2));
    private static final Faults DUPLICATE_1 = new Faults("1% duplication", o -> o.withDuplicate(1));
    private static final Faults CORRUPT_01 = new Faults("0.1% corruption", o -> o.withCorrupt(0.1));
    private static final Faults COMBINED = new Faults("all combined",
            o -> o.withLoss(1).withReorder(2).withDuplicate(1).withCorrupt(0.1));

    /**
     * 256 MB once per fault model, then two more seeds at 32 MB: 5% loss alone takes about 40 s for 256 MB
     * (recovery there waits on retransmission timeouts), so more seeds at full size would not fit the build's time.
     */
    static Stream<Arguments> runs() {
        List<Arguments> runs = new ArrayList<>();
        for (Faults f : List.of(LOSS_1, LOSS_5, REORDER_2, DUPLICATE_1, CORRUPT_01, COMBINED)) {
            runs.add(Arguments.of(f, 256 * MB, 1L));
            runs.add(Arguments.of(f, 32 * MB, 2L));
            runs.add(Arguments.of(f, 32 * MB, 3L));
        }
        return runs.stream();
    }

    @ParameterizedTest(name = "{0}, {1} bytes, seed {2}")
    @MethodSource("runs")
    void transferArrivesByteExact(Faults faults, long bytes, long seed) throws Exception {
        MemoryLink link = new MemoryLink(1500);
        FaultInjector serverEnd = new FaultInjector(link.endA(), faults.apply.apply(FaultInjector.Options.none(seed)));
        FaultInjector clientEnd = new FaultInjector(link.endB(),
                faults.apply.apply(FaultInjector.Options.none(seed + 1000)));
        NetworkStack server = new NetworkStack(serverEnd, InterfaceConfig.parse("02:00:00:00:00:01", "10.0.0.1/24",
                null));
        NetworkStack client = new NetworkStack(clientEnd, InterfaceConfig.parse("02:00:00:00:00:02", "10.0.0.2/24",
                null));
        TestSpec spec = new TestSpec(Protocol.TCP, 128 * 1024, bytes, 0, 0, 0, 0, 1, false, false, null, null, true);
        long started = System.nanoTime();
        try (StackRunner runner = StackRunner.start(server, client);
                UserspaceTransport serverTransport = new UserspaceTransport(server);
                UserspaceTransport clientTransport = new UserspaceTransport(client);
                RunningServer tapir = new RunningServer(new Iperf3Server.Options(0, 10_000, 60_000), serverTransport,
                        new InetSocketAddress(InetAddress.getByName("10.0.0.1"), 5201))) {
            Iperf3Client.Outcome outcome = assertTimeoutPreemptively(BOUND, () -> new Iperf3Client(clientTransport,
                    new Iperf3Client.Options(false, false, 30_000, seed)).run(
                            new InetSocketAddress(InetAddress.getByName("10.0.0.1"), tapir.port()), spec, null));
            Iperf3InteropTest.awaitResults(tapir, 1);
            double seconds = (System.nanoTime() - started) / 1e9;
            TestResult onServer = tapir.output.results.get(0);
            for (TestResult r : new TestResult[] {outcome.result(), onServer}) {
                Verification v = r.verification();
                assertFalse(v.failed(), v.line());
                assertEquals(bytes, v.bytesChecked());
                assertEquals(seed, v.seed());
                assertEquals(bytes, r.sumReceived().bytes());
            }
            assertNull(runner.failure());
            // Every fault of the model happened in both directions, and what was corrupted never reached the data.
            FaultInjector.Options model = faults.apply.apply(FaultInjector.Options.none(seed));
            for (FaultInjector end : new FaultInjector[] {serverEnd, clientEnd}) {
                assertEquals(model.lossPercent() > 0, end.counters().get(Fault.LOST) > 0);
                assertEquals(model.reorderPercent() > 0, end.counters().get(Fault.REORDERED) > 0);
                assertEquals(model.duplicatePercent() > 0, end.counters().get(Fault.DUPLICATED) > 0);
                assertEquals(model.corruptPercent() > 0, end.counters().get(Fault.CORRUPTED) > 0);
            }
            long corrupted = serverEnd.counters().get(Fault.CORRUPTED) + clientEnd.counters().get(Fault.CORRUPTED);
            long rejected = 0;
            long notOurs = 0;
            for (NetworkStack s : new NetworkStack[] {server, client}) {
                rejected += s.tcp().counters().get(TcpCounters.DROPPED_BAD_CHECKSUM)
                        + s.counters().get(StackCounter.IPV4_BAD_HEADER_CHECKSUM);
                notOurs += s.counters().get(StackCounter.ETHERNET_NOT_FOR_US)
                        + s.counters().get(StackCounter.ETHERNET_UNKNOWN_TYPE);
            }
            if (corrupted > 0) {
                // A flipped byte in a TCP/IP header or payload always fails a checksum; one in the Ethernet header
                // (no FCS on this link) is dropped as not ours or passes harmlessly (source MAC).
                // (A corrupted frame that is also duplicated is rejected twice.)
                long duplicated = serverEnd.counters().get(Fault.DUPLICATED)
                        + clientEnd.counters().get(Fault.DUPLICATED);
                assertTrue(rejected > 0 && rejected <= corrupted + duplicated,
                        "corrupted " + corrupted + ", rejected " + rejected);
            }
            System.out.printf("integrity %s: %d MB in %.1f s, retransmits %d, corrupted %d, rejected by checksum %d,"
                    + " dropped by the Ethernet checks %d%n", faults, bytes / MB, seconds,
                    outcome.result().sumRetransmits(), corrupted, rejected, notOurs);
        }
    }
}
