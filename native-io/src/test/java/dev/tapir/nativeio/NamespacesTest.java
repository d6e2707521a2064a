package dev.tapir.nativeio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class NamespacesTest {
    private final String name = "tapir-t-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24) | (1 << 24));

    @AfterEach
    void deleteIfLeft() throws Exception {
        if (Files.exists(Path.of("/run/netns", name))) {
            TestNetns.run("ip", "netns", "del", name);
        }
    }

    @Test
    void createdNamespaceIsSeenByIpAndIsolatesItsLinks() throws Exception {
        Namespaces.create(name);
        assertTrue(Namespaces.exists(name));
        assertTrue(TestNetns.run("ip", "netns", "list").lines().anyMatch(l -> l.startsWith(name)));

        String outside = threadNamespace();
        String inside = Namespaces.callIn(name, () -> {
            try (Netlink nl = Netlink.open()) {
                assertEquals(List.of("lo"), nl.links().stream().map(Netlink.Link::name).toList());
                nl.createBridge("tnsbr0");
            }
            return threadNamespace();
        });
        assertNotEquals(outside, inside);
        assertEquals(outside, threadNamespace(), "the calling thread did not move");
        assertTrue(TestNetns.run("ip", "-n", name, "-o", "link", "show").contains("tnsbr0"));
        assertFalse(TestNetns.run("ip", "-o", "link", "show").contains("tnsbr0"), "not in the root namespace");

        SyscallException again = assertThrows(SyscallException.class, () -> Namespaces.create(name));
        assertEquals(Errno.EEXIST, again.errno());

        Namespaces.delete(name);
        assertFalse(Namespaces.exists(name));
        assertFalse(TestNetns.run("ip", "netns", "list").lines().anyMatch(l -> l.startsWith(name)));
    }

    @Test
    void enteringAMissingNamespaceIsEnoent() {
        SyscallException e = assertThrows(SyscallException.class, () -> Namespaces.callIn(name, () -> null));
        assertEquals("open", e.call());
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals(Errno.ENOENT, assertThrows(SyscallException.class, () -> Namespaces.delete(name)).errno());
        assertThrows(IllegalArgumentException.class, () -> Namespaces.create("../etc"));
    }

    private static String threadNamespace() throws java.io.IOException {
        return Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
    }
}
