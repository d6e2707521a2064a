package dev.tapir.nativeio;

import static dev.tapir.nativeio.NativeRuntime.capture;
import static dev.tapir.nativeio.NativeRuntime.check;
import static dev.tapir.nativeio.NativeRuntime.errno;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * rtnetlink (AF_NETLINK / NETLINK_ROUTE): creates bridges and veth pairs, sets a link's master, MTU and up/down state,
 * adds IPv4 addresses, deletes links, and reads links and addresses back.
 *
 * <p>Requests are built in an off-heap buffer from the {@code nlmsghdr}, {@code ifinfomsg}, {@code ifaddrmsg} and
 * {@code rtattr} layouts below. Every change is sent with NLM_F_ACK and its answer read: a negative error in the
 * NLMSG_ERROR reply becomes a {@link SyscallException} named after the request, e.g. {@code RTM_NEWLINK: EEXIST}.
 *
 * <p>The socket talks to the network namespace of the thread that called {@link #open}; it keeps doing so from any
 * thread. One instance is not safe for concurrent use. Control path only: calls allocate.
 */
public final class Netlink implements AutoCloseable {
    public static final int AF_UNSPEC = 0;
    public static final int AF_INET = 2;
    public static final int IFF_UP = 0x1;
    public static final int IFF_RUNNING = 0x40;

    /** {@code struct nlmsghdr}. */
    public static final StructLayout NLMSGHDR = MemoryLayout.structLayout(
            JAVA_INT.withName("nlmsg_len"), JAVA_SHORT.withName("nlmsg_type"), JAVA_SHORT.withName("nlmsg_flags"),
            JAVA_INT.withName("nlmsg_seq"), JAVA_INT.withName("nlmsg_pid"));
    /** {@code struct ifinfomsg}. */
    public static final StructLayout IFINFOMSG = MemoryLayout.structLayout(
            JAVA_BYTE.withName("ifi_family"), MemoryLayout.paddingLayout(1), JAVA_SHORT.withName("ifi_type"),
            JAVA_INT.withName("ifi_index"), JAVA_INT.withName("ifi_flags"), JAVA_INT.withName("ifi_change"));
    /** {@code struct ifaddrmsg}. */
    public static final StructLayout IFADDRMSG = MemoryLayout.structLayout(
            JAVA_BYTE.withName("ifa_family"), JAVA_BYTE.withName("ifa_prefixlen"), JAVA_BYTE.withName("ifa_flags"),
            JAVA_BYTE.withName("ifa_scope"), JAVA_INT.withName("ifa_index"));
    /** {@code struct rtattr} (the same shape as {@code struct nlattr}). */
    public static final StructLayout RTATTR = MemoryLayout.structLayout(
            JAVA_SHORT.withName("rta_len"), JAVA_SHORT.withName("rta_type"));
    /** {@code struct sockaddr_nl}. */
    public static final StructLayout SOCKADDR_NL = MemoryLayout.structLayout(
            JAVA_SHORT.withName("nl_family"), MemoryLayout.paddingLayout(2), JAVA_INT.withName("nl_pid"),
            JAVA_INT.withName("nl_groups"));
    /** Messages and attributes start on 4-byte boundaries (NLMSG_ALIGN, RTA_ALIGN). */
    public static final int ALIGNMENT = 4;

    static final int NLMSG_ERROR = 2;
    static final int NLMSG_DONE = 3;
    static final int RTM_NEWLINK = 16;
    static final int RTM_DELLINK = 17;
    static final int RTM_GETLINK = 18;
    static final int RTM_NEWADDR = 20;
    static final int RTM_GETADDR = 22;

    static final int NLM_F_REQUEST = 0x1;
    static final int NLM_F_ACK = 0x4;
    static final int NLM_F_DUMP = 0x300;
    static final int NLM_F_EXCL = 0x200;
    static final int NLM_F_CREATE = 0x400;

    static final int IFLA_IFNAME = 3;
    static final int IFLA_MTU = 4;
    static final int IFLA_MASTER = 10;
    static final int IFLA_OPERSTATE = 16;
    static final int IFLA_LINKINFO = 18;
    static final int IFLA_INFO_KIND = 1;
    static final int IFLA_INFO_DATA = 2;
    static final int IFLA_BR_FORWARD_DELAY = 1;
    static final int IFLA_BR_STP_STATE = 5;
    static final int IFLA_BR_MCAST_SNOOPING = 23;
    static final int VETH_INFO_PEER = 1;
    static final int IFA_ADDRESS = 1;
    static final int IFA_LOCAL = 2;
    static final int IFA_BROADCAST = 4;
    private static final int NLA_F_NESTED = 0x8000;

    private static final int AF_NETLINK = 16;
    private static final int SOCK_RAW = 3;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int NETLINK_ROUTE = 0;
    private static final int HEADER_SIZE = (int) NLMSGHDR.byteSize();
    private static final int REQUEST_CAPACITY = 4096;
    /** Large enough for any single datagram the kernel sends on a dump (it caps them near 32 KiB). */
    private static final int RECEIVE_CAPACITY = 64 * 1024;
    private static final ValueLayout.OfInt BE_INT = JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private static final MethodHandle SOCKET = NativeRuntime.errnoCall("socket",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle BIND = NativeRuntime.errnoCall("bind",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SENDTO = NativeRuntime.errnoCall("sendto",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle RECV = NativeRuntime.errnoCall("recv",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle IF_NAMETOINDEX = NativeRuntime.errnoCall("if_nametoindex",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));

    /** A link as RTM_GETLINK reports it; {@code master} is 0 without one, {@code kind} empty for plain devices. */
    public record Link(int index, String name, int flags, int mtu, int master, String kind) {
        public boolean isUp() {
            return (flags & IFF_UP) != 0;
        }
    }

    /** An IPv4 address on a link; {@code address} holds the four bytes big-endian (a.b.c.d = a << 24 | ...). */
    public record Ipv4Address(int index, int address, int prefixLength) {
        @Override
        public String toString() {
            return (address >>> 24) + "." + ((address >>> 16) & 0xff) + "." + ((address >>> 8) & 0xff) + "."
                    + (address & 0xff) + "/" + prefixLength;
        }
    }

    private final Arena arena;
    private final int fd;
    private final MemorySegment request;
    private final MemorySegment response;
    private final MemorySegment kernelAddress;
    private int sequence;
    private int length;

    private Netlink(Arena arena, int fd) {
        this.arena = arena;
        this.fd = fd;
        this.request = arena.allocate(REQUEST_CAPACITY, 8);
        this.response = arena.allocate(RECEIVE_CAPACITY, 8);
        this.kernelAddress = arena.allocate(SOCKADDR_NL);
        kernelAddress.set(JAVA_SHORT, 0, (short) AF_NETLINK);
    }

    /** Opens a NETLINK_ROUTE socket in the calling thread's network namespace. */
    public static Netlink open() throws SyscallException {
        MemorySegment cap = capture();
        int fd;
        try {
            fd = check("socket", (int) SOCKET.invokeExact(cap, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE),
                    cap);
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
        Arena arena = Arena.ofShared();
        try {
            Netlink netlink = new Netlink(arena, fd);
            MemorySegment local = arena.allocate(SOCKADDR_NL);
            local.set(JAVA_SHORT, 0, (short) AF_NETLINK);
            check("bind", (int) BIND.invokeExact(cap, fd, local, (int) SOCKADDR_NL.byteSize()), cap);
            return netlink;
        } catch (Throwable t) {
            arena.close();
            Libc.close(fd);
            if (t instanceof SyscallException e) {
                throw e;
            }
            throw NativeRuntime.unexpected(t);
        }
    }

    /**
     * {@code if_nametoindex}: the index of the link {@code name} in the calling thread's network namespace (not
     * necessarily this socket's).
     */
    public static int indexOf(String name) throws SyscallException {
        Tun.checkName(name);
        try (Arena temp = Arena.ofConfined()) {
            MemorySegment cap = capture();
            int index = (int) IF_NAMETOINDEX.invokeExact(cap, temp.allocateFrom(name));
            if (index == 0) {
                throw new SyscallException("if_nametoindex", errno(cap));
            }
            return index;
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }

    /**
     * Creates a bridge for a test bed: STP off, forwarding delay 0 and multicast snooping off, so that ports forward
     * as soon as they are up and every multicast frame is flooded.
     */
    public void createBridge(String name) throws SyscallException {
        beginLink(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0, 0, 0);
        putString(IFLA_IFNAME, name);
        int linkInfo = beginNest(IFLA_LINKINFO);
        putString(IFLA_INFO_KIND, "bridge");
        int data = beginNest(IFLA_INFO_DATA);
        putInt(IFLA_BR_FORWARD_DELAY, 0);
        putInt(IFLA_BR_STP_STATE, 0);
        putByte(IFLA_BR_MCAST_SNOOPING, 0);
        endNest(data);
        endNest(linkInfo);
        transact("RTM_NEWLINK", null);
    }

    /** Creates the veth pair {@code name} and {@code peer}. */
    public void createVethPair(String name, String peer) throws SyscallException {
        beginLink(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0, 0, 0);
        putString(IFLA_IFNAME, name);
        int linkInfo = beginNest(IFLA_LINKINFO);
        putString(IFLA_INFO_KIND, "veth");
        int data = beginNest(IFLA_INFO_DATA);
        int peerInfo = beginNest(VETH_INFO_PEER);
        putStruct(IFINFOMSG);
        putString(IFLA_IFNAME, peer);
        endNest(peerInfo);
        endNest(data);
        endNest(linkInfo);
        transact("RTM_NEWLINK", null);
    }

    /** Enslaves link {@code index} to the bridge {@code masterIndex}; 0 releases it. */
    public void setMaster(int index, int masterIndex) throws SyscallException {
        beginLink(RTM_NEWLINK, 0, index, 0, 0);
        putInt(IFLA_MASTER, masterIndex);
        transact("RTM_NEWLINK", null);
    }

    public void setMtu(int index, int mtu) throws SyscallException {
        beginLink(RTM_NEWLINK, 0, index, 0, 0);
        putInt(IFLA_MTU, mtu);
        transact("RTM_NEWLINK", null);
    }

    /** Sets or clears IFF_UP, touching no other flag. */
    public void setUp(int index, boolean up) throws SyscallException {
        beginLink(RTM_NEWLINK, 0, index, up ? IFF_UP : 0, IFF_UP);
        transact("RTM_NEWLINK", null);
    }

    /** Deletes a link by name (bridges, veths, persistent taps). */
    public void deleteLink(String name) throws SyscallException {
        beginLink(RTM_DELLINK, 0, 0, 0, 0);
        putString(IFLA_IFNAME, name);
        transact("RTM_DELLINK", null);
    }

    /**
     * Adds {@code address}/{@code prefixLength} to link {@code index}, with the subnet's broadcast address for
     * prefixes shorter than /31.
     */
    public void addIpv4Address(int index, int address, int prefixLength) throws SyscallException {
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("IPv4 prefix length out of range: " + prefixLength);
        }
        begin(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
        int at = putStruct(IFADDRMSG);
        request.set(JAVA_BYTE, at, (byte) AF_INET);
        request.set(JAVA_BYTE, at + 1, (byte) prefixLength);
        request.set(JAVA_INT, at + 4, index);
        putBigEndianInt(IFA_LOCAL, address);
        putBigEndianInt(IFA_ADDRESS, address);
        if (prefixLength < 31) {
            putBigEndianInt(IFA_BROADCAST, address | (int) (0xffffffffL >>> prefixLength));
        }
        transact("RTM_NEWADDR", null);
    }

    /** RTM_GETLINK by name. */
    public Link link(String name) throws SyscallException {
        beginLink(RTM_GETLINK, 0, 0, 0, 0);
        putString(IFLA_IFNAME, name);
        List<Link> out = new ArrayList<>(1);
        transact("RTM_GETLINK", (seg, at, len) -> {
            if (type(seg, at) == RTM_NEWLINK) {
                out.add(parseLink(seg, at, len));
            }
        });
        if (out.isEmpty()) {
            throw new SyscallException("RTM_GETLINK", Errno.ENODEV);
        }
        return out.get(0);
    }

    /** Every link of the namespace (an RTM_GETLINK dump). */
    public List<Link> links() throws SyscallException {
        begin(RTM_GETLINK, NLM_F_DUMP);
        putStruct(IFINFOMSG);
        List<Link> out = new ArrayList<>();
        transact("RTM_GETLINK", (seg, at, len) -> {
            if (type(seg, at) == RTM_NEWLINK) {
                out.add(parseLink(seg, at, len));
            }
        });
        return out;
    }

    /** The IPv4 addresses of link {@code index} (an RTM_GETADDR dump, filtered). */
    public List<Ipv4Address> ipv4Addresses(int index) throws SyscallException {
        begin(RTM_GETADDR, NLM_F_DUMP);
        int at = putStruct(IFADDRMSG);
        request.set(JAVA_BYTE, at, (byte) AF_INET);
        List<Ipv4Address> out = new ArrayList<>();
        transact("RTM_GETADDR", (seg, msg, len) -> {
            if (type(seg, msg) != RTM_NEWADDR) {
                return;
            }
            long body = msg + HEADER_SIZE;
            int linkIndex = seg.get(JAVA_INT, body + 4);
            if (linkIndex != index) {
                return;
            }
            int prefix = Byte.toUnsignedInt(seg.get(JAVA_BYTE, body + 1));
            long attrs = body + IFADDRMSG.byteSize();
            long end = msg + len;
            int address = 0;
            boolean local = false;
            for (long a = attrs; a + 4 <= end; a += align(attrLength(seg, a))) {
                int attrType = attrType(seg, a);
                if (attrType == IFA_LOCAL || (attrType == IFA_ADDRESS && !local)) {
                    address = seg.get(BE_INT, a + 4);
                    local |= attrType == IFA_LOCAL;
                }
                if (attrLength(seg, a) < 4) {
                    break;
                }
            }
            out.add(new Ipv4Address(index, address, prefix));
        });
        return out;
    }

    @Override
    public void close() throws SyscallException {
        if (arena.scope().isAlive()) {
            arena.close();
            Libc.close(fd);
        }
    }

    private static Link parseLink(MemorySegment seg, long msg, int len) {
        long body = msg + HEADER_SIZE;
        int index = seg.get(JAVA_INT, body + 4);
        int flags = seg.get(JAVA_INT, body + 8);
        String name = "";
        String kind = "";
        int mtu = 0;
        int master = 0;
        long end = msg + len;
        for (long a = body + IFINFOMSG.byteSize(); a + 4 <= end; a += align(attrLength(seg, a))) {
            int attrLen = attrLength(seg, a);
            if (attrLen < 4) {
                break;
            }
            switch (attrType(seg, a)) {
                case IFLA_IFNAME -> name = seg.getString(a + 4, StandardCharsets.US_ASCII);
                case IFLA_MTU -> mtu = seg.get(JAVA_INT_UNALIGNED, a + 4);
                case IFLA_MASTER -> master = seg.get(JAVA_INT_UNALIGNED, a + 4);
                case IFLA_LINKINFO -> {
                    for (long n = a + 4; n + 4 <= a + attrLen; n += align(attrLength(seg, n))) {
                        if (attrLength(seg, n) < 4) {
                            break;
                        }
                        if (attrType(seg, n) == IFLA_INFO_KIND) {
                            kind = seg.getString(n + 4, StandardCharsets.US_ASCII);
                        }
                    }
                }
                default -> {
                }
            }
        }
        return new Link(index, name, flags, mtu, master, kind);
    }

    private static int type(MemorySegment seg, long msg) {
        return Short.toUnsignedInt(seg.get(JAVA_SHORT_UNALIGNED, msg + 4));
    }

    private static int attrLength(MemorySegment seg, long attr) {
        return Short.toUnsignedInt(seg.get(JAVA_SHORT_UNALIGNED, attr));
    }

    private static int attrType(MemorySegment seg, long attr) {
        return Short.toUnsignedInt(seg.get(JAVA_SHORT_UNALIGNED, attr + 2)) & ~NLA_F_NESTED;
    }

    private static int align(int n) {
        return (n + ALIGNMENT - 1) & -ALIGNMENT;
    }

    /** Starts a request: the nlmsghdr with a fresh sequence number; length is patched by {@link #transact}. */
    private void begin(int type, int flags) {
        request.fill((byte) 0);
        length = HEADER_SIZE;
        request.set(JAVA_SHORT, 4, (short) type);
        request.set(JAVA_SHORT, 6, (short) (NLM_F_REQUEST | flags));
        request.set(JAVA_INT, 8, ++sequence);
    }

    private void beginLink(int type, int flags, int index, int ifiFlags, int ifiChange) {
        begin(type, flags | NLM_F_ACK);
        int at = putStruct(IFINFOMSG);
        request.set(JAVA_BYTE, at, (byte) AF_UNSPEC);
        request.set(JAVA_INT, at + 4, index);
        request.set(JAVA_INT, at + 8, ifiFlags);
        request.set(JAVA_INT, at + 12, ifiChange);
    }

    /** Reserves a zeroed fixed-size struct; returns its offset. */
    private int putStruct(StructLayout layout) {
        int at = length;
        length = align(at + (int) layout.byteSize());
        return at;
    }

    private int putAttribute(int type, int payloadLength) {
        int at = length;
        int attrLength = 4 + payloadLength;
        if (align(at + attrLength) > REQUEST_CAPACITY) {
            throw new IllegalStateException("netlink request larger than " + REQUEST_CAPACITY + " bytes");
        }
        request.set(JAVA_SHORT_UNALIGNED, at, (short) attrLength);
        request.set(JAVA_SHORT_UNALIGNED, at + 2, (short) type);
        length = align(at + attrLength);
        return at + 4;
    }

    private void putString(int type, String value) {
        byte[] bytes = Tun.checkName(value);
        int at = putAttribute(type, bytes.length + 1);
        MemorySegment.copy(bytes, 0, request, JAVA_BYTE, at, bytes.length);
    }

    private void putInt(int type, int value) {
        request.set(JAVA_INT_UNALIGNED, putAttribute(type, 4), value);
    }

    private void putBigEndianInt(int type, int value) {
        request.set(BE_INT, putAttribute(type, 4), value);
    }

    private void putByte(int type, int value) {
        request.set(JAVA_BYTE, putAttribute(type, 1), (byte) value);
    }

    private int beginNest(int type) {
        return putAttribute(type | NLA_F_NESTED, 0) - 4;
    }

    private void endNest(int at) {
        request.set(JAVA_SHORT_UNALIGNED, at, (short) (length - at));
    }

    /** Receives one reply message of the current request. */
    @FunctionalInterface
    private interface ReplyVisitor {
        void visit(MemorySegment seg, long offset, int length);
    }

    /**
     * Sends the request and reads replies until its ACK (NLMSG_ERROR 0) or NLMSG_DONE; a negative error becomes a
     * {@link SyscallException} named {@code call}. Replies to other sequence numbers (late answers) are skipped.
     */
    private void transact(String call, ReplyVisitor visitor) throws SyscallException {
        request.set(JAVA_INT, 0, length);
        int seq = sequence;
        MemorySegment cap = capture();
        try {
            long sent;
            do {
                sent = (long) SENDTO.invokeExact(cap, fd, request, (long) length, 0, kernelAddress,
                        (int) SOCKADDR_NL.byteSize());
            } while (sent == -1 && errno(cap) == Errno.EINTR);
            check("sendto", sent, cap);
            while (true) {
                long n = (long) RECV.invokeExact(cap, fd, response, (long) RECEIVE_CAPACITY, 0);
                if (n == -1 && errno(cap) == Errno.EINTR) {
                    continue;
                }
                check("recv", n, cap);
                for (long at = 0; at + HEADER_SIZE <= n; ) {
                    int msgLength = response.get(JAVA_INT, at);
                    if (msgLength < HEADER_SIZE || at + msgLength > n) {
                        throw new SyscallException(call, Errno.EPROTO);
                    }
                    int type = type(response, at);
                    if (response.get(JAVA_INT, at + 8) == seq) {
                        if (type == NLMSG_ERROR || type == NLMSG_DONE) {
                            int error = msgLength >= HEADER_SIZE + 4 ? response.get(JAVA_INT, at + HEADER_SIZE) : 0;
                            if (error < 0) {
                                throw new SyscallException(call, -error);
                            }
                            return;
                        }
                        if (visitor != null) {
                            visitor.visit(response, at, msgLength);
                        }
                    }
                    at += align(msgLength);
                }
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }
}
