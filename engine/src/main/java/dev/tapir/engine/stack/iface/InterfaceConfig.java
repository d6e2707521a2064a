package dev.tapir.engine.stack.iface;

import dev.tapir.engine.stack.wire.Ipv4Address;
import dev.tapir.engine.stack.wire.MacAddress;

/**
 * The addresses of one stack instance.
 *
 * @param macAddress the interface's Ethernet address (48 bits in a long, unicast)
 * @param address its IPv4 address
 * @param prefixLength length of the on-link prefix, 1..32
 * @param gateway next hop for destinations off the prefix, {@link Ipv4Address#ANY} for none
 */
public record InterfaceConfig(long macAddress, int address, int prefixLength, int gateway) {
    public InterfaceConfig {
        if (macAddress == MacAddress.UNRESOLVED || MacAddress.isGroup(macAddress) || (macAddress >>> 48) != 0) {
            throw new IllegalArgumentException("interface MAC must be a unicast 48-bit address, not "
                    + MacAddress.format(macAddress));
        }
        if (prefixLength < 1 || prefixLength > 32) {
            throw new IllegalArgumentException("prefix length must be 1..32, not " + prefixLength);
        }
        if (address == Ipv4Address.ANY || address == Ipv4Address.BROADCAST) {
            throw new IllegalArgumentException("interface address must be a unicast address, not "
                    + Ipv4Address.format(address));
        }
        if (gateway != Ipv4Address.ANY && !onLink(address, prefixLength, gateway)) {
            throw new IllegalArgumentException("gateway " + Ipv4Address.format(gateway) + " is not on "
                    + Ipv4Address.format(address) + "/" + prefixLength);
        }
    }

    /** Parses {@code 10.0.0.1/24}, a MAC and an optional gateway (null or empty for none). */
    public static InterfaceConfig parse(String mac, String addressWithPrefix, String gateway) {
        int slash = addressWithPrefix.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("want address/prefix such as 10.0.0.1/24, not " + addressWithPrefix);
        }
        int prefix;
        try {
            prefix = Integer.parseInt(addressWithPrefix.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("want address/prefix such as 10.0.0.1/24, not " + addressWithPrefix, e);
        }
        return new InterfaceConfig(MacAddress.parse(mac), Ipv4Address.parse(addressWithPrefix.substring(0, slash)),
                prefix, gateway == null || gateway.isEmpty() ? Ipv4Address.ANY : Ipv4Address.parse(gateway));
    }

    public boolean isOnLink(int destination) {
        return onLink(address, prefixLength, destination);
    }

    /** The directed broadcast address of the prefix (all host bits set); none for /31 and /32. */
    public int directedBroadcast() {
        return prefixLength >= 31 ? Ipv4Address.BROADCAST : address | ~Ipv4Address.mask(prefixLength);
    }

    private static boolean onLink(int address, int prefixLength, int other) {
        int mask = Ipv4Address.mask(prefixLength);
        return (address & mask) == (other & mask);
    }
}
