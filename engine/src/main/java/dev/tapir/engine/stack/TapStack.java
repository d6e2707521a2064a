package dev.tapir.engine.stack;

import dev.tapir.engine.stack.iface.InterfaceConfig;
import dev.tapir.engine.stack.phy.TapDevice;
import dev.tapir.nativeio.Errno;
import dev.tapir.nativeio.Namespaces;
import dev.tapir.nativeio.Netlink;
import dev.tapir.nativeio.SyscallException;
import dev.tapir.nativeio.Tun;
import java.io.IOException;

/**
 * tapir's userspace stack on an existing tap: attaches to the tap (from a thread inside {@code netns} when one is
 * named, since the kernel fixes a tap's namespace when {@code /dev/net/tun} is opened), runs a {@link NetworkStack} on
 * it on its own thread, and offers it as a {@link UserspaceTransport}. Closing stops that thread and detaches; a
 * persistent tap stays for the next run. On start the stack announces its address with ARP, so hosts that cached the
 * MAC of an earlier run on the tap learn the new one at once.
 *
 * <p>The tap must exist, be a tap and be up: attaching as root to a missing name would create a fresh tap that
 * nothing else is connected to, so that is refused. Who may attach: root (CAP_NET_ADMIN), or the tap's owner or group
 * when the user can open {@code /dev/net/tun}.
 */
public final class TapStack implements AutoCloseable {
    private final TapDevice device;
    private final NetworkStack stack;
    private final StackRunner runner;
    private final UserspaceTransport transport;

    private TapStack(TapDevice device, InterfaceConfig config) {
        this.device = device;
        this.stack = new NetworkStack(device, config);
        this.runner = StackRunner.start(stack);
        this.transport = new UserspaceTransport(stack);
        stack.submit(() -> stack.networkInterface().announce());
    }

    /**
     * Attaches to tap {@code tap} in namespace {@code netns} (null: the caller's) and starts the stack. A missing
     * namespace or tap, a link that is not a tap or is down gives an IllegalArgumentException with one line; a failed
     * attach (EACCES on {@code /dev/net/tun}, EPERM from another user's tap, EBUSY when another process holds it) the
     * SyscallException of that call.
     */
    public static TapStack start(String tap, String netns, InterfaceConfig config, TapDevice.Options options)
            throws IOException {
        TapDevice device;
        if (netns == null) {
            device = attach(tap, null, options);
        } else {
            if (!Namespaces.exists(netns)) {
                throw new IllegalArgumentException("network namespace " + netns + " does not exist");
            }
            device = Namespaces.callIn(netns, () -> attach(tap, netns, options));
        }
        try {
            return new TapStack(device, config);
        } catch (RuntimeException e) {
            device.close();
            throw e;
        }
    }

    private static TapDevice attach(String tap, String netns, TapDevice.Options options) throws SyscallException {
        String where = netns == null ? "" : " in network namespace " + netns;
        if (tap.isEmpty() || tap.length() > Tun.MAX_NAME_LENGTH || tap.contains("%")) {
            throw new IllegalArgumentException("not a tap name: '" + tap + "'");
        }
        Netlink.Link link;
        try (Netlink netlink = Netlink.open()) {
            link = netlink.link(tap);
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENODEV) {
                throw new IllegalArgumentException("no tap named " + tap + where
                        + " (create one with: tapir tap create " + tap + " --persist ...)");
            }
            throw e;
        }
        if (!link.kind().equals("tun")) {
            throw new IllegalArgumentException(tap + where + " is " + (link.kind().isEmpty() ? "not a tap"
                    : "a " + link.kind() + ", not a tap"));
        }
        if (!link.isUp()) {
            throw new IllegalArgumentException("tap " + tap + where + " is down (ip link set " + tap + " up)");
        }
        return TapDevice.open(tap, options);
    }

    /** The transport over this stack; it stays usable until {@link #close}. */
    public UserspaceTransport transport() {
        return transport;
    }

    public NetworkStack stack() {
        return stack;
    }

    public TapDevice device() {
        return device;
    }

    /** An exception that escaped the stack's duty cycle (a defect), or null. */
    public Throwable failure() {
        return runner.failure();
    }

    /** Stops the stack's thread, which closes the stack (see {@link NetworkStack#onClose}) and detaches from the tap. */
    @Override
    public void close() {
        runner.close();
    }
}
