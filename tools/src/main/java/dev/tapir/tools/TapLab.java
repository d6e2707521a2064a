package dev.tapir.tools;

import dev.tapir.nativeio.Errno;
import dev.tapir.nativeio.Namespaces;
import dev.tapir.nativeio.Netlink;
import dev.tapir.nativeio.SyscallException;
import dev.tapir.nativeio.Tun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The test bed for tapir's userspace stack: a network namespace holding bridge {@value #BRIDGE} with the host address
 * {@value #HOST_ADDRESS} and two persistent taps {@value #SERVER_TAP} and {@value #CLIENT_TAP} on it, all up.
 *
 * <p>Inside that namespace only: IPv6 is disabled on the lab's links (no router/MLD chatter on the taps), and, when
 * br_netfilter exists, {@code net.bridge.bridge-nf-call-{iptables,ip6tables,arptables} = 0}, so bridged IPv4 frames
 * skip iptables (worth ~0.6 µs per frame here, see tap-limit.md). The host namespace is not touched.
 */
public final class TapLab {
    public static final String DEFAULT_NAMESPACE = "tapir";
    public static final String BRIDGE = "tapirbr0";
    public static final String SERVER_TAP = "tap0";
    public static final String CLIENT_TAP = "tap1";
    public static final String HOST_ADDRESS = "192.168.122.1/24";
    public static final String SERVER_ADDRESS = "192.168.122.10/24";
    public static final String CLIENT_ADDRESS = "192.168.122.20/24";
    private static final List<String> BRIDGE_NETFILTER =
            List.of("bridge-nf-call-iptables", "bridge-nf-call-ip6tables", "bridge-nf-call-arptables");

    /** A created lab: its namespace, whether bridge netfilter was switched off, and the two commands to run in it. */
    public record Lab(String namespace, boolean bridgeNetfilterOff, String serverCommand, String clientCommand) {
    }

    private TapLab() {
    }

    /** Creates the namespace and everything in it; on failure removes what it made. */
    public static Lab create(String namespace) throws IOException {
        try {
            Namespaces.create(namespace);
        } catch (SyscallException e) {
            if (e.errno() == Errno.EEXIST) {
                throw new IllegalArgumentException("network namespace " + namespace
                        + " already exists; remove it with: tapir tap lab --delete --netns " + namespace);
            }
            throw e;
        }
        try {
            boolean netfilterOff = Namespaces.callIn(namespace, TapLab::populate);
            String server = SERVER_ADDRESS.substring(0, SERVER_ADDRESS.indexOf('/'));
            return new Lab(namespace, netfilterOff,
                    "tapir server --netns " + namespace + " --tap " + SERVER_TAP + " --ip " + SERVER_ADDRESS,
                    "tapir client " + server + " --netns " + namespace + " --tap " + CLIENT_TAP + " --ip "
                            + CLIENT_ADDRESS);
        } catch (IOException | RuntimeException e) {
            Namespaces.delete(namespace);
            throw e;
        }
    }

    /** Runs on a thread inside the lab namespace; returns whether bridge netfilter was switched off. */
    private static boolean populate() throws IOException {
        // New links inherit "default": set it first so no link ever sends IPv6.
        disableIpv6("default");
        try (Netlink nl = Netlink.open()) {
            nl.createBridge(BRIDGE);
            for (String name : List.of(SERVER_TAP, CLIENT_TAP)) {
                try (Tun tap = Tun.open(name, Tun.IFF_TAP | Tun.IFF_NO_PI, false)) {
                    tap.setPersist(true);
                }
            }
            int bridge = nl.link(BRIDGE).index();
            for (String name : List.of(SERVER_TAP, CLIENT_TAP)) {
                disableIpv6(name);
                int index = nl.link(name).index();
                nl.setMaster(index, bridge);
                nl.setUp(index, true);
            }
            disableIpv6(BRIDGE);
            Ipv4Prefix host = Ipv4Prefix.parse(HOST_ADDRESS);
            nl.addIpv4Address(bridge, host.address(), host.prefixLength());
            nl.setUp(bridge, true);
        }
        // /proc/sys/net shows the namespace of the thread that opens the file: this one.
        Path bridgeSysctl = Path.of("/proc/sys/net/bridge");
        if (!Files.isDirectory(bridgeSysctl)) {
            return false;
        }
        for (String knob : BRIDGE_NETFILTER) {
            Path path = bridgeSysctl.resolve(knob);
            if (Files.exists(path)) {
                Files.writeString(path, "0\n");
            }
        }
        return true;
    }

    private static void disableIpv6(String link) throws IOException {
        Path path = Path.of("/proc/sys/net/ipv6/conf", link, "disable_ipv6");
        if (Files.exists(path)) {
            Files.writeString(path, "1\n");
        }
    }

    /** Deletes the lab's links and then its namespace. */
    public static void delete(String namespace) throws IOException {
        if (!Namespaces.exists(namespace)) {
            throw new IllegalArgumentException("network namespace " + namespace + " does not exist");
        }
        Namespaces.callIn(namespace, () -> {
            try (Netlink nl = Netlink.open()) {
                for (String name : List.of(SERVER_TAP, CLIENT_TAP, BRIDGE)) {
                    try {
                        nl.deleteLink(name);
                    } catch (SyscallException e) {
                        if (e.errno() != Errno.ENODEV) {
                            throw e;
                        }
                    }
                }
            }
            return null;
        });
        Namespaces.delete(namespace);
    }
}
