package dev.tapir.tools;

import dev.tapir.nativeio.Errno;
import dev.tapir.nativeio.Namespaces;
import dev.tapir.nativeio.Netlink;
import dev.tapir.nativeio.Passwd;
import dev.tapir.nativeio.SyscallException;
import dev.tapir.nativeio.Tun;
import java.io.IOException;
import java.util.OptionalInt;

/**
 * Creates and deletes single taps, in the current network namespace or a named one, through FFM only (TUNSETIFF and
 * rtnetlink; no {@code ip} commands).
 *
 * <p>Permissions: creating needs CAP_NET_ADMIN. A persistent tap with an owner can later be attached by that uid
 * without capabilities, provided the user can open {@code /dev/net/tun}: it is mode 0600 root on some machines (then
 * the open fails with EACCES before ownership is checked), 0666 on most distributions.
 */
public final class TapSetup {
    /**
     * What to create. {@code bridge}, {@code address} and {@code owner} may be null, {@code mtu} 0 keeps the default,
     * {@code netns} null means the caller's namespace. The address goes on the bridge when there is one (an address on
     * a bridge port would be ignored), else on the tap.
     */
    public record Spec(String name, String bridge, Ipv4Prefix address, int mtu, String owner, boolean persist,
            String netns) {
        public Spec {
            if (name == null || name.isEmpty() || name.length() > Tun.MAX_NAME_LENGTH || name.contains("/")
                    || name.contains("%")) {
                throw new IllegalArgumentException("a tap name is 1.." + Tun.MAX_NAME_LENGTH
                        + " characters without '/' or '%': '" + name + "'");
            }
            if (bridge != null && (bridge.isEmpty() || bridge.length() > Tun.MAX_NAME_LENGTH)) {
                throw new IllegalArgumentException("a bridge name is 1.." + Tun.MAX_NAME_LENGTH + " characters: '"
                        + bridge + "'");
            }
            if (mtu != 0 && (mtu < 68 || mtu > 65535)) {
                throw new IllegalArgumentException("MTU must be 68..65535: " + mtu);
            }
        }

        /** The same tap in another namespace. */
        public Spec withNetns(String namespace) {
            return new Spec(name, bridge, address, mtu, owner, persist, namespace);
        }

        /** A persistent tap with no bridge, address, MTU or owner, in the caller's namespace. */
        public static Spec persistent(String name) {
            return new Spec(name, null, null, 0, null, true, null);
        }
    }

    private TapSetup() {
    }

    /**
     * Creates the tap, enslaves it to the bridge (made, up, if missing), sets MTU, address and owner and brings the
     * tap up. Returns the open queue: closing it removes a non-persistent tap, so non-persistent taps only make sense
     * for a caller that keeps using this queue.
     */
    public static Tun create(Spec spec) throws IOException {
        OptionalInt uid = OptionalInt.empty();
        if (spec.owner() != null) {
            uid = spec.owner().chars().allMatch(Character::isDigit) && !spec.owner().isEmpty()
                    ? OptionalInt.of(Integer.parseInt(spec.owner())) : Passwd.uidOf(spec.owner());
            if (uid.isEmpty()) {
                throw new IllegalArgumentException("no such user: " + spec.owner());
            }
        }
        int ownerUid = uid.orElse(-1);
        return inNamespace(spec.netns(), () -> {
            Tun tun = Tun.open(spec.name(), Tun.IFF_TAP | Tun.IFF_NO_PI, false);
            try (Netlink nl = Netlink.open()) {
                if (ownerUid >= 0) {
                    tun.setOwner(ownerUid);
                }
                if (spec.persist()) {
                    tun.setPersist(true);
                }
                int index = nl.link(tun.name()).index();
                if (spec.mtu() != 0) {
                    nl.setMtu(index, spec.mtu());
                }
                int addressOn = index;
                if (spec.bridge() != null) {
                    int bridge = bridgeIndex(nl, spec.bridge(), spec.mtu());
                    nl.setMaster(index, bridge);
                    addressOn = bridge;
                }
                if (spec.address() != null) {
                    nl.addIpv4Address(addressOn, spec.address().address(), spec.address().prefixLength());
                }
                nl.setUp(index, true);
                return tun;
            } catch (IOException | RuntimeException e) {
                if (spec.persist()) {
                    tun.setPersist(false);
                }
                tun.close();
                throw e;
            }
        });
    }

    /** The bridge's index; creates it (up, with the tap's MTU if one was given) when it does not exist. */
    private static int bridgeIndex(Netlink nl, String name, int mtu) throws SyscallException {
        try {
            return nl.link(name).index();
        } catch (SyscallException e) {
            if (e.errno() != Errno.ENODEV) {
                throw e;
            }
        }
        nl.createBridge(name);
        int index = nl.link(name).index();
        if (mtu != 0) {
            nl.setMtu(index, mtu);
        }
        nl.setUp(index, true);
        return index;
    }

    /** Deletes the link {@code name} (a persistent tap, or any link) from the namespace. */
    public static void delete(String name, String netns) throws IOException {
        inNamespace(netns, () -> {
            try (Netlink nl = Netlink.open()) {
                nl.deleteLink(name);
            } catch (SyscallException e) {
                if (e.errno() == Errno.ENODEV) {
                    throw new IllegalArgumentException("no link named " + name
                            + (netns == null ? "" : " in network namespace " + netns));
                }
                throw e;
            }
            return null;
        });
    }

    /** Runs {@code task} here, or on a thread inside {@code netns}; a missing namespace is the user's mistake. */
    static <T> T inNamespace(String netns, Namespaces.Task<T> task) throws IOException {
        if (netns == null) {
            return task.run();
        }
        if (!Namespaces.exists(netns)) {
            throw new IllegalArgumentException("network namespace " + netns + " does not exist");
        }
        return Namespaces.callIn(netns, task);
    }
}
