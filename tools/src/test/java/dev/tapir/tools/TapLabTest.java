package dev.tapir.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tapir.nativeio.Namespaces;
import dev.tapir.nativeio.Netlink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TapLabTest {
    private final String ns = Commands.uniqueName();

    @AfterEach
    void deleteIfLeft() throws Exception {
        if (Namespaces.exists(ns)) {
            Commands.run("ip", "netns", "del", ns);
        }
    }

    @Test
    void labHoldsBridgeWithAddressAndTwoPersistentTapsThenDeleteRemovesIt() throws Exception {
        TapLab.Lab lab = TapLab.create(ns);
        assertEquals("tapir server --netns " + ns + " --tap tap0 --ip 192.168.122.10/24", lab.serverCommand());
        assertEquals("tapir client 192.168.122.10 --netns " + ns + " --tap tap1 --ip 192.168.122.20/24",
                lab.clientCommand());
        boolean brNetfilter = Files.exists(Path.of("/proc/sys/net/bridge/bridge-nf-call-iptables"));
        assertEquals(brNetfilter, lab.bridgeNetfilterOff());

        List<String> facts = Namespaces.callIn(ns, () -> {
            try (Netlink nl = Netlink.open()) {
                Netlink.Link bridge = nl.link(TapLab.BRIDGE);
                assertEquals("bridge", bridge.kind());
                assertTrue(bridge.isUp());
                assertEquals("[192.168.122.1/24]", nl.ipv4Addresses(bridge.index()).toString());
                for (String tap : List.of("tap0", "tap1")) {
                    Netlink.Link link = nl.link(tap);
                    assertEquals("tun", link.kind());
                    assertEquals(bridge.index(), link.master());
                    assertTrue(link.isUp());
                    assertEquals("1", Files.readString(Path.of("/proc/sys/net/ipv6/conf", tap, "disable_ipv6"))
                            .strip());
                }
            }
            return List.of(
                    brNetfilter ? Files.readString(Path.of("/proc/sys/net/bridge/bridge-nf-call-iptables")).strip()
                            : "absent",
                    Files.readString(Path.of("/proc/sys/net/ipv6/conf", TapLab.BRIDGE, "disable_ipv6")).strip());
        });
        assertEquals(List.of(brNetfilter ? "0" : "absent", "1"), facts);
        // Persistent: the taps are there although no process holds them.
        String links = Commands.run("ip", "-n", ns, "-o", "link", "show");
        assertTrue(links.contains("tap0: ") && links.contains("tap1: ") && links.contains("master tapirbr0"), links);
        assertTrue(Commands.run("ip", "-n", ns, "-o", "-4", "addr", "show", "dev", "tapirbr0")
                .contains("inet 192.168.122.1/24"));

        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> TapLab.create(ns));
        assertTrue(twice.getMessage().contains("already exists"), twice.getMessage());

        TapLab.delete(ns);
        assertFalse(Namespaces.exists(ns));
        assertFalse(Commands.run("ip", "netns", "list").contains(ns));
        assertThrows(IllegalArgumentException.class, () -> TapLab.delete(ns));
    }

    @Test
    void shellScriptBuildsTheSameLab() throws Exception {
        Path script = Path.of("scripts/tap-lab.sh").toAbsolutePath();
        Commands.run("sh", script.toString(), "create", ns);
        String links = Commands.run("ip", "-n", ns, "-o", "link", "show");
        assertTrue(links.contains("tap0: ") && links.contains("tap1: ") && links.contains("master tapirbr0"), links);
        assertTrue(Commands.run("ip", "-n", ns, "-o", "-4", "addr", "show", "dev", "tapirbr0")
                .contains("inet 192.168.122.1/24"));
        Commands.run("sh", script.toString(), "delete", ns);
        assertFalse(Namespaces.exists(ns));
    }
}
