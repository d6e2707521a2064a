package dev.tapir.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tapir.nativeio.Errno;
import dev.tapir.nativeio.Namespaces;
import dev.tapir.nativeio.Netlink;
import dev.tapir.nativeio.Passwd;
import dev.tapir.nativeio.SyscallException;
import dev.tapir.nativeio.Tun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TapSetupTest {
    private final String ns = Commands.uniqueName();
    private String user;

    @BeforeEach
    void createNamespace() throws Exception {
        Namespaces.create(ns);
    }

    @AfterEach
    void cleanUp() throws Exception {
        try {
            Namespaces.delete(ns);
        } finally {
            if (user != null) {
                Commands.run("userdel", user);
            }
        }
    }

    @Test
    void createsBridgedTapWithMtuAndAddressThenDeletes() throws Exception {
        Ipv4Prefix address = Ipv4Prefix.parse("192.168.122.1/24");
        TapSetup.create(new TapSetup.Spec("ttap0", "ttapbr0", address, 9000, null, true, ns)).close();
        Namespaces.callIn(ns, () -> {
            try (Netlink nl = Netlink.open()) {
                Netlink.Link bridge = nl.link("ttapbr0");
                Netlink.Link tap = nl.link("ttap0");
                assertEquals(bridge.index(), tap.master());
                assertEquals(9000, tap.mtu());
                assertTrue(tap.isUp() && bridge.isUp());
                assertEquals(List.of(new Netlink.Ipv4Address(bridge.index(), address.address(), 24)),
                        nl.ipv4Addresses(bridge.index()));
            }
            return null;
        });
        IllegalArgumentException absent = assertThrows(IllegalArgumentException.class,
                () -> TapSetup.delete("ttapnone", ns));
        assertEquals("no link named ttapnone in network namespace " + ns, absent.getMessage());
        TapSetup.delete("ttap0", ns);
        assertTrue(!Commands.run("ip", "-n", ns, "-o", "link", "show").contains("ttap0"));
        SyscallException again = assertThrows(SyscallException.class,
                () -> TapSetup.create(new TapSetup.Spec("ttapbr0", null, null, 0, null, true, ns)));
        assertEquals("TUNSETIFF", again.call());
        assertEquals(Errno.EINVAL, again.errno());
        assertThrows(IllegalArgumentException.class,
                () -> TapSetup.create(TapSetup.Spec.persistent("ttap1").withNetns(Commands.uniqueName())));
    }

    /**
     * A persistent tap owned by a throwaway user: that user (no capabilities) cannot open the 0600 /dev/net/tun, but
     * through a 0666 node of the same device it attaches and writes; another unprivileged uid gets EPERM.
     */
    @Test
    void ownerCanAttachThroughAnAccessibleTunNode(@TempDir Path dir) throws Exception {
        user = Commands.uniqueName();
        Commands.run("useradd", "-M", "-r", "-s", "/usr/sbin/nologin", user);
        int uid = Passwd.uidOf(user).orElseThrow();
        TapSetup.create(new TapSetup.Spec("town0", null, null, 0, user, true, ns)).close();
        assertEquals(Integer.toString(uid),
                Commands.run("ip", "netns", "exec", ns, "cat", "/sys/class/net/town0/owner").strip());

        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path node = dir.resolve("tun");
        Commands.run("mknod", "-m", "0666", node.toString(), "c", "10", "200");
        String classpath = readableClasspath(dir);

        assertEquals("open EACCES", probe(user, Tun.DEVICE, classpath), "/dev/net/tun is " + mode());
        assertEquals("attached town0 wrote 60", probe(user, node.toString(), classpath));
        assertEquals("TUNSETIFF EPERM", probe("nobody", node.toString(), classpath));
    }

    private static String mode() throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(Path.of(Tun.DEVICE)));
    }

    /** Runs {@link TunAttachProbe} as {@code runAs} inside the namespace; returns its one line of output. */
    private String probe(String runAs, String device, String classpath) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Commands.Result r = Commands.exec("ip", "netns", "exec", ns, "runuser", "-u", runAs, "--", java,
                "--enable-native-access=ALL-UNNAMED", "-XX:-UsePerfData", "-cp", classpath,
                TunAttachProbe.class.getName(), device, "town0");
        assertEquals(0, r.exit(), r.output());
        return r.output().strip();
    }

    /** Copies native-io's classes and this module's test classes where any user can read them. */
    private static String readableClasspath(Path dir) throws Exception {
        List<String> entries = new ArrayList<>();
        int i = 0;
        for (Class<?> c : List.of(Tun.class, TunAttachProbe.class)) {
            Path source = Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path target = dir.resolve("cp" + i++);
            if (Files.isDirectory(source)) {
                try (Stream<Path> files = Files.walk(source)) {
                    for (Path f : (Iterable<Path>) files::iterator) {
                        Path to = target.resolve(source.relativize(f).toString());
                        if (Files.isDirectory(f)) {
                            Files.createDirectories(to);
                        } else {
                            Files.copy(f, to, StandardCopyOption.REPLACE_EXISTING);
                        }
                    }
                }
            } else {
                target = dir.resolve("cp" + i + ".jar");
                Files.copy(source, target);
            }
            try (Stream<Path> files = Files.walk(target)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(
                            Files.isDirectory(f) ? "rwxr-xr-x" : "rw-r--r--"));
                }
            }
            entries.add(target.toString());
        }
        return String.join(":", entries);
    }
}
