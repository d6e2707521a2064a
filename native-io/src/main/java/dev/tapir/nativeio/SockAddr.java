package dev.tapir.nativeio;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;

/**
 * Socket address structures ({@code sockaddr_in}, {@code sockaddr_in6}, {@code sockaddr_storage}) and their
 * conversion to and from {@link InetSocketAddress}. Conversions allocate Java objects: use them at set-up, not per
 * packet. Ports and IPv4/IPv6 addresses are in network byte order; the family and the IPv6 scope id are native.
 */
public final class SockAddr {
    public static final int AF_UNSPEC = 0;
    public static final int AF_INET = 2;
    public static final int AF_INET6 = 10;

    private static final ByteOrder NETWORK = ByteOrder.BIG_ENDIAN;

    /** {@code struct sockaddr_in}: 16 bytes. */
    public static final StructLayout SOCKADDR_IN = MemoryLayout.structLayout(
            JAVA_SHORT.withName("sin_family"),
            JAVA_SHORT.withOrder(NETWORK).withName("sin_port"),
            JAVA_INT.withOrder(NETWORK).withName("sin_addr"),
            MemoryLayout.sequenceLayout(8, JAVA_BYTE).withName("sin_zero"));

    /** {@code struct sockaddr_in6}: 28 bytes. */
    public static final StructLayout SOCKADDR_IN6 = MemoryLayout.structLayout(
            JAVA_SHORT.withName("sin6_family"),
            JAVA_SHORT.withOrder(NETWORK).withName("sin6_port"),
            JAVA_INT.withOrder(NETWORK).withName("sin6_flowinfo"),
            MemoryLayout.sequenceLayout(16, JAVA_BYTE).withName("sin6_addr"),
            JAVA_INT.withName("sin6_scope_id"));

    /** {@code struct sockaddr_storage}: 128 bytes, 8-aligned; large enough for any address family. */
    public static final StructLayout SOCKADDR_STORAGE = MemoryLayout.structLayout(
            JAVA_SHORT.withName("ss_family"),
            MemoryLayout.paddingLayout(6),
            MemoryLayout.sequenceLayout(15, JAVA_LONG).withName("ss_data"));

    private static final VarHandle SIN_PORT = SOCKADDR_IN.varHandle(MemoryLayout.PathElement.groupElement("sin_port"));
    private static final VarHandle SIN_ADDR = SOCKADDR_IN.varHandle(MemoryLayout.PathElement.groupElement("sin_addr"));
    private static final VarHandle SIN6_PORT = SOCKADDR_IN6.varHandle(MemoryLayout.PathElement.groupElement("sin6_port"));
    private static final VarHandle SIN6_FLOWINFO =
            SOCKADDR_IN6.varHandle(MemoryLayout.PathElement.groupElement("sin6_flowinfo"));
    private static final VarHandle SIN6_SCOPE_ID =
            SOCKADDR_IN6.varHandle(MemoryLayout.PathElement.groupElement("sin6_scope_id"));
    private static final long SIN6_ADDR_OFFSET =
            SOCKADDR_IN6.byteOffset(MemoryLayout.PathElement.groupElement("sin6_addr"));
    private static final long SIN_ZERO_OFFSET = SOCKADDR_IN.byteOffset(MemoryLayout.PathElement.groupElement("sin_zero"));
    /** Half an IPv6 address in network order, so an IPv4-mapped address ends in 0xffff and the IPv4 address. */
    private static final ValueLayout.OfLong ADDRESS_HALF = JAVA_LONG_UNALIGNED.withOrder(NETWORK);

    private SockAddr() {
    }

    /** The address family ({@link #AF_INET} or {@link #AF_INET6}) of a resolved socket address. */
    public static int family(InetSocketAddress address) {
        InetAddress ip = resolved(address);
        return ip instanceof Inet6Address ? AF_INET6 : AF_INET;
    }

    /** The size of the structure for {@code family}. */
    public static int length(int family) {
        return switch (family) {
            case AF_INET -> (int) SOCKADDR_IN.byteSize();
            case AF_INET6 -> (int) SOCKADDR_IN6.byteSize();
            default -> throw new IllegalArgumentException("unsupported address family " + family);
        };
    }

    /** Writes {@code address} into {@code sa} (at least {@link #length} bytes); returns the structure's length. */
    public static int write(MemorySegment sa, InetSocketAddress address) {
        InetAddress ip = resolved(address);
        byte[] raw = ip.getAddress();
        if (ip instanceof Inet6Address v6) {
            sa.asSlice(0, SOCKADDR_IN6.byteSize()).fill((byte) 0);
            sa.set(JAVA_SHORT, 0L, (short) AF_INET6);
            SIN6_PORT.set(sa, 0L, (short) address.getPort());
            SIN6_FLOWINFO.set(sa, 0L, 0);
            MemorySegment.copy(MemorySegment.ofArray(raw), 0, sa, SIN6_ADDR_OFFSET, 16);
            SIN6_SCOPE_ID.set(sa, 0L, v6.getScopeId());
            return (int) SOCKADDR_IN6.byteSize();
        }
        sa.asSlice(0, SOCKADDR_IN.byteSize()).fill((byte) 0);
        sa.set(JAVA_SHORT, 0L, (short) AF_INET);
        SIN_PORT.set(sa, 0L, (short) address.getPort());
        SIN_ADDR.set(sa, 0L, ((raw[0] & 0xff) << 24) | ((raw[1] & 0xff) << 16) | ((raw[2] & 0xff) << 8) | (raw[3] & 0xff));
        return (int) SOCKADDR_IN.byteSize();
    }

    /** Writes a {@code sockaddr_in} at {@code offset} of {@code sa} without allocating; {@code address} as an int. */
    public static void writeIpv4(MemorySegment sa, long offset, int address, int port) {
        sa.set(JAVA_SHORT, offset, (short) AF_INET);
        SIN_PORT.set(sa, offset, (short) port);
        SIN_ADDR.set(sa, offset, address);
        sa.set(JAVA_LONG_UNALIGNED, offset + SIN_ZERO_OFFSET, 0L);
    }

    /**
     * A key for the address at {@code offset} of {@code sa}, without allocating: equal addresses give equal keys. IPv4
     * and IPv4-mapped IPv6 addresses map one to one (the same key for both forms); other IPv6 addresses by a 62-bit
     * digest of address and port, so two of them could share a key only by a rare coincidence. 0 for AF_UNSPEC.
     */
    public static long key(MemorySegment sa, long offset) {
        int family = Short.toUnsignedInt(sa.get(JAVA_SHORT, offset));
        if (family == AF_INET) {
            return ipv4Key((int) SIN_ADDR.get(sa, offset), Short.toUnsignedInt((short) SIN_PORT.get(sa, offset)));
        }
        if (family != AF_INET6) {
            return 0;
        }
        int port = Short.toUnsignedInt((short) SIN6_PORT.get(sa, offset));
        long high = sa.get(ADDRESS_HALF, offset + SIN6_ADDR_OFFSET);
        long low = sa.get(ADDRESS_HALF, offset + SIN6_ADDR_OFFSET + 8);
        if (high == 0 && (low >>> 32) == 0xffffL) {
            return ipv4Key((int) low, port);
        }
        // the port enters unmixed, so one address's ports never share a key
        long digest = (high * 0x9E3779B97F4A7C15L) ^ Long.rotateLeft(low * 0xC2B2AE3D27D4EB4FL, 31);
        return (2L << 62) | ((digest ^ port) & ((1L << 62) - 1));
    }

    private static long ipv4Key(int address, int port) {
        return (1L << 48) | ((long) port << 32) | (address & 0xffff_ffffL);
    }

    /** The family stored in {@code sa}. */
    public static int familyOf(MemorySegment sa) {
        return Short.toUnsignedInt(sa.get(JAVA_SHORT, 0L));
    }

    /** Reads an IPv4 or IPv6 socket address from {@code sa}; null when the family is {@link #AF_UNSPEC}. */
    public static InetSocketAddress read(MemorySegment sa) {
        int family = familyOf(sa);
        try {
            switch (family) {
                case AF_UNSPEC:
                    return null;
                case AF_INET: {
                    int ip = (int) SIN_ADDR.get(sa, 0L);
                    byte[] raw = {(byte) (ip >>> 24), (byte) (ip >>> 16), (byte) (ip >>> 8), (byte) ip};
                    return new InetSocketAddress(InetAddress.getByAddress(raw),
                            Short.toUnsignedInt((short) SIN_PORT.get(sa, 0L)));
                }
                case AF_INET6: {
                    byte[] raw = sa.asSlice(SIN6_ADDR_OFFSET, 16).toArray(JAVA_BYTE);
                    int scope = (int) SIN6_SCOPE_ID.get(sa, 0L);
                    InetAddress ip = scope == 0 ? InetAddress.getByAddress(raw) : Inet6Address.getByAddress(null, raw, scope);
                    return new InetSocketAddress(ip, Short.toUnsignedInt((short) SIN6_PORT.get(sa, 0L)));
                }
                default:
                    throw new IllegalArgumentException("unsupported address family " + family);
            }
        } catch (UnknownHostException e) {
            // getByAddress only throws for a wrong array length, which the fixed sizes above rule out
            throw new AssertionError(e);
        }
    }

    private static InetAddress resolved(InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        if (ip == null) {
            throw new IllegalArgumentException("unresolved address " + address.getHostString());
        }
        if (!(ip instanceof Inet4Address) && !(ip instanceof Inet6Address)) {
            throw new IllegalArgumentException("not an IP address: " + ip);
        }
        return ip;
    }
}
