package dev.tapir.engine.stack.wire;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * IPv4 addresses as the int the wire carries (big-endian value: 10.0.0.1 is 0x0a000001). Conversions here allocate and
 * are for configuration and reports only.
 */
public final class Ipv4Address {
    public static final int ANY = 0;
    public static final int BROADCAST = 0xffff_ffff;

    private Ipv4Address() {
    }

    public static int of(InetAddress address) {
        if (!(address instanceof Inet4Address)) {
            throw new IllegalArgumentException("the userspace stack speaks IPv4 only, not " + address);
        }
        byte[] b = address.getAddress();
        return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
    }

    /** Parses a dotted quad such as {@code 10.0.0.1}. */
    public static int parse(String dotted) {
        String[] parts = dotted.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: " + dotted);
        }
        int address = 0;
        for (String part : parts) {
            int octet;
            try {
                octet = Integer.parseInt(part);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not an IPv4 address: " + dotted, e);
            }
            if (octet < 0 || octet > 255 || part.isEmpty()) {
                throw new IllegalArgumentException("not an IPv4 address: " + dotted);
            }
            address = (address << 8) | octet;
        }
        return address;
    }

    public static InetAddress toInetAddress(int address) {
        byte[] b = {(byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address};
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("four bytes are always an address", e);
        }
    }

    public static String format(int address) {
        return (address >>> 24) + "." + ((address >>> 16) & 0xff) + "." + ((address >>> 8) & 0xff) + "." + (address & 0xff);
    }

    /** The netmask of a prefix length 0..32 as an int. */
    public static int mask(int prefixLength) {
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }
}
