package dev.tapir.engine.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tapir.engine.stack.iface.InterfaceConfig;
import dev.tapir.engine.stack.phy.TapDevice;
import dev.tapir.engine.stack.stats.StackCounter;
import dev.tapir.engine.stack.wire.Ipv4Address;
import dev.tapir.nativeio.Errno;
import dev.tapir.nativeio.Namespaces;
import dev.tapir.nativeio.Netlink;
import dev.tapir.nativeio.SyscallException;
import dev.tapir.nativeio.Tun;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A TapStack on a persistent tap, a port of bridge tsbr0 (192.168.122.1/24) in a namespace this test creates and
 * deletes: the kernel pings the stack, a restarted stack with a new MAC is learned by the kernel from its ARP
 * announcement alone, and attach mistakes give one-line errors. A veth pair, also a port, keeps the bridge's carrier
 * up while no stack is attached, as another endpoint on the bridge would; otherwise the kernel would flush its
 * neighbour entries and the announcement would have nothing to correct.
 */
class TapStackTest {
    private static final String TAP = "tstack0";
    private static final String STACK = "192.168.122.10";
    private final String ns = "tapir-t-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24) | (1 << 24));

    @BeforeEach
    void createTap() throws Exception {
        Namespaces.create(ns);
        Namespaces.callIn(ns, () -> {
            try (Tun tun = Tun.open(TAP, Tun.IFF_TAP | Tun.IFF_NO_PI, false); Netlink nl = Netlink.open()) {
                tun.setPersist(true);
                nl.createBridge("tsbr0");
                nl.createVethPair("tsveth0", "tsveth1");
                int bridge = nl.link("tsbr0").index();
                for (String port : List.of(TAP, "tsveth0")) {
                    nl.setMaster(nl.link(port).index(), bridge);
                }
                for (String link : List.of(TAP, "tsveth0", "tsveth1", "tsbr0")) {
                    nl.setUp(nl.link(link).index(), true);
                }
                nl.addIpv4Address(bridge, Ipv4Address.parse("192.168.122.1"), 24);
            }
            return null;
        });
    }

    @AfterEach
    void deleteNamespace() throws Exception {
        Namespaces.delete(ns);
    }

    private TapStack start(String mac) throws IOException {
        return TapStack.start(TAP, ns, InterfaceConfig.parse(mac, STACK + "/24", null), TapDevice.Options.plain());
    }

    @Test
    void kernelPingsTheStackAndLearnsARestartedStacksMacFromItsAnnouncement() throws Exception {
        try (TapStack stack = start("02:00:00:00:0a:01")) {
            String ping = run("ip", "netns", "exec", ns, "ping", "-c", "3", "-i", "0.2", "-W", "2", STACK);
            assertTrue(ping.contains("3 packets transmitted, 3 received"), ping);
            assertEquals(3, stack.stack().counters().get(StackCounter.ICMP_ECHO_ANSWERED));
            assertTrue(neighbour().contains("lladdr 02:00:00:00:0a:01"), neighbour());
            assertEquals(null, stack.failure());
        }
        // The kernel ignores an ARP update within a second (locktime) of the last one.
        Thread.sleep(1_100);
        try (TapStack stack = start("02:00:00:00:0a:02")) {
            String entry = "";
            for (int i = 0; i < 100 && !entry.contains("02:00:00:00:0a:02"); i++) {
                Thread.sleep(20);
                entry = neighbour();
            }
            assertTrue(entry.contains("lladdr 02:00:00:00:0a:02"), entry);
            assertEquals(0, stack.stack().counters().get(StackCounter.ICMP_ECHO_ANSWERED), "no traffic taught it");
        }
    }

    @Test
    void attachMistakesAreOneLine() throws Exception {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> TapStack.start("tnone0", ns, InterfaceConfig.parse("02:00:00:00:0a:01", STACK + "/24", null),
                        TapDevice.Options.plain()));
        assertEquals("no tap named tnone0 in network namespace " + ns
                + " (create one with: tapir tap create tnone0 --persist ...)", missing.getMessage());
        Namespaces.callIn(ns, () -> {
            try (Netlink nl = Netlink.open()) {
                nl.setUp(nl.link(TAP).index(), false);
            }
            return null;
        });
        assertEquals("tap " + TAP + " in network namespace " + ns + " is down (ip link set " + TAP + " up)",
                assertThrows(IllegalArgumentException.class, () -> start("02:00:00:00:0a:01")).getMessage());
        assertEquals("network namespace " + ns + "x does not exist", assertThrows(IllegalArgumentException.class,
                () -> TapStack.start(TAP, ns + "x", InterfaceConfig.parse("02:00:00:00:0a:01", STACK + "/24", null),
                        TapDevice.Options.plain())).getMessage());
        Namespaces.callIn(ns, () -> {
            try (Netlink nl = Netlink.open()) {
                nl.setUp(nl.link(TAP).index(), true);
            }
            return null;
        });
        try (TapStack first = start("02:00:00:00:0a:01")) {
            SyscallException busy = assertThrows(SyscallException.class, () -> start("02:00:00:00:0a:02"));
            assertEquals(List.of("TUNSETIFF", Errno.EBUSY), List.of(busy.call(), busy.errno()));
        }
    }

    private String neighbour() throws IOException {
        return run("ip", "-n", ns, "neigh", "show", STACK);
    }

    private static String run(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out: " + String.join(" ", command));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new java.io.InterruptedIOException(String.join(" ", command));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " exited " + p.exitValue() + ": " + out);
        }
        return out;
    }
}
