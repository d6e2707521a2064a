package dev.tapir.cli;

import dev.tapir.engine.stack.TapStack;
import dev.tapir.engine.stack.iface.InterfaceConfig;
import dev.tapir.engine.stack.phy.TapDevice;
import dev.tapir.engine.stack.wire.Ipv4Address;
import dev.tapir.engine.stack.wire.MacAddress;
import dev.tapir.engine.transport.Transport;
import dev.tapir.engine.transport.kernel.KernelTransport;
import dev.tapir.nativeio.Errno;
import dev.tapir.nativeio.SyscallException;
import dev.tapir.nativeio.Tun;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine.Option;

/**
 * Which network stack an endpoint runs on: the kernel's sockets (the default), or with {@code --tap} tapir's own
 * userspace stack on that tap, with the address given by {@code --ip}. The same iperf3 and iperf 2 dialects run on
 * either through the {@link Transport} seam.
 */
final class StackOptions {
    /** Locally administered (bit 1 of the first octet), unicast (bit 0 clear). */
    private static final long LOCAL_BIT = 0x0200_0000_0000L;
    private static final long GROUP_BIT = 0x0100_0000_0000L;
    private static final long MAC_MASK = 0xffff_ffff_ffffL;

    @Option(names = "--tap", paramLabel = "NAME",
            description = "Run on tapir's userspace TCP/IP stack over this existing tap (needs --ip) instead of kernel sockets.")
    String tap;

    @Option(names = "--ip", paramLabel = "CIDR", description = "The userspace stack's IPv4 address/prefix, e.g. 192.168.122.10/24.")
    String ip;

    @Option(names = "--gateway", paramLabel = "GW", description = "The userspace stack's next hop for addresses off its prefix.")
    String gateway;

    @Option(names = "--netns", paramLabel = "NS", description = "Network namespace that holds the tap (needs root).")
    String netns;

    @Option(names = "--mac", paramLabel = "MAC",
            description = "The userspace stack's Ethernet address (default: a random locally administered one, printed).")
    String mac;

    @Option(names = "--no-offload",
            description = "On the tap, send and accept only plain MTU-sized frames with full checksums (default: "
                    + "virtio-net TSO and checksum offload, 64 KiB TCP super-frames the kernel segments).")
    boolean noOffload;

    @Option(names = "--no-io-uring",
            description = "A system call per write: per TCP block sent on kernel sockets, per frame on a tap "
                    + "(default: batches through io_uring, one system call each, where the kernel allows io_uring).")
    boolean noIoUring;

    private InterfaceConfig parsed;

    /** The transport, and the stack on a tap (null for kernel sockets) that must be closed with it. */
    record Opened(Transport transport, TapStack tapStack) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            transport.close();
            if (tapStack != null) {
                tapStack.close();
            }
        }
    }

    boolean userspace() {
        return tap != null;
    }

    /** Checks the combination before anything is opened. */
    void check(boolean ipv6) {
        if (tap == null) {
            if (ip != null || gateway != null || netns != null || mac != null || noOffload) {
                throw new UserError("--ip, --gateway, --netns, --mac and --no-offload choose the userspace stack's "
                        + "settings: give --tap too");
            }
            return;
        }
        if (ip == null) {
            throw new UserError("--tap needs --ip ADDRESS/PREFIX for the userspace stack, e.g. --ip 192.168.122.10/24");
        }
        if (ipv6) {
            throw new UserError("the userspace stack speaks IPv4 only: drop -6");
        }
    }

    /**
     * For the userspace stack: {@code target} must be on the prefix of {@code --ip} or reachable through
     * {@code --gateway}; otherwise every packet to it would be dropped and the run would only time out.
     */
    void checkReachable(InetAddress target) {
        if (tap == null) {
            return;
        }
        InterfaceConfig config = interfaceConfig();
        if (config.gateway() == Ipv4Address.ANY && !config.isOnLink(Ipv4Address.of(target))) {
            throw new UserError(target.getHostAddress() + " is not on " + ip
                    + " and the userspace stack has no --gateway to reach it");
        }
    }

    /** Kernel sockets, or the userspace stack on the tap; for a tap, {@code notes} gets one line naming the stack. */
    Opened open(PrintStream notes) throws IOException {
        if (tap == null) {
            return new Opened(new KernelTransport(!noIoUring), null);
        }
        InterfaceConfig config = interfaceConfig();
        TapStack stack;
        try {
            TapDevice.Options options = noOffload ? TapDevice.Options.plain() : TapDevice.Options.tcpOffloads();
            stack = TapStack.start(tap, netns, config, options.withIoUring(!noIoUring));
        } catch (SyscallException e) {
            throw new UserError(explain(e));
        }
        notes.println("tapir: userspace stack on tap " + tap + (netns == null ? "" : " in network namespace " + netns)
                + ": " + ip + ", MAC " + MacAddress.format(config.macAddress()) + ", MTU " + stack.device().mtu()
                + (gateway == null ? "" : ", gateway " + gateway)
                + (noOffload ? ", no offloads" : ", TSO and checksum offload")
                + (stack.device().usesIoUring() ? ", io_uring batches" : ", a system call per frame"));
        notes.flush();
        return new Opened(stack.transport(), stack);
    }

    /** The stack's addresses, parsed once (the random MAC is drawn once). */
    private InterfaceConfig interfaceConfig() {
        if (parsed == null) {
            parsed = parseConfig();
        }
        return parsed;
    }

    private InterfaceConfig parseConfig() {
        String macText = mac != null ? mac : MacAddress.format(
                (ThreadLocalRandom.current().nextLong() & MAC_MASK & ~GROUP_BIT) | LOCAL_BIT);
        try {
            return InterfaceConfig.parse(macText, ip, gateway);
        } catch (IllegalArgumentException e) {
            throw new UserError("--ip/--gateway/--mac: " + e.getMessage());
        }
    }

    /** One line for a failed attach, saying what to do about it. */
    private String explain(SyscallException e) {
        String on = "tap " + tap + (netns == null ? "" : " in network namespace " + netns);
        String why = switch (e.call() + " " + e.errnoName()) {
            case "open EACCES", "open EPERM" -> "cannot open " + Tun.DEVICE
                    + ": permission denied (run as root, or let this user open it: see README, non-root taps)";
            case "open ENOENT" -> Tun.DEVICE + " does not exist (modprobe tun)";
            case "TUNSETIFF EPERM" -> "not allowed to attach to " + on
                    + ": it belongs to another user (run as root or as its owner)";
            case "TUNSETIFF EBUSY" -> on + " is in use by another process";
            case "TUNSETIFF EINVAL" -> on + " cannot be attached as a tap (is it a tun device?)";
            case "setns EPERM" -> "entering network namespace " + netns
                    + " needs root; or run tapir inside it: ip netns exec " + netns + " tapir ...";
            default -> null;
        };
        if (why == null) {
            return "cannot attach to " + on + ": " + (e.errno() == Errno.EPERM || e.errno() == Errno.EACCES
                    ? "permission denied" : Errno.describe(e.errno())) + " [" + e.call() + ": " + e.errnoName() + "]";
        }
        return why + " [" + e.call() + ": " + e.errnoName() + "]";
    }
}
