package dev.tapir.nativeio;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;

/**
 * One queue of a tun/tap device, opened through {@code /dev/net/tun}.
 *
 * <p>The device lives in the network namespace of the thread that called {@link #open}: the kernel fixes it when
 * {@code /dev/net/tun} is opened. After that the descriptor may be read and written from any thread. A tap passes one
 * frame per {@code read}/{@code write} (readv and the like do not batch it), so {@link #read} and {@link #write} are
 * exactly one frame each; to move many frames per system call, queue them on an {@link IoUring} against
 * {@link #fd()}. A non-persistent device disappears when its last queue is closed.
 */
public final class Tun implements AutoCloseable {
    public static final String DEVICE = "/dev/net/tun";

    public static final int IFF_TUN = 0x0001;
    public static final int IFF_TAP = 0x0002;
    public static final int IFF_MULTI_QUEUE = 0x0100;
    /** Reported by {@link #flags()} for a persistent device; not accepted by TUNSETIFF. */
    public static final int IFF_PERSIST = 0x0800;
    public static final int IFF_NO_PI = 0x1000;
    public static final int IFF_VNET_HDR = 0x4000;

    /** Offload flags for {@link #setOffload}: the reader accepts frames with partial checksums. */
    public static final int TUN_F_CSUM = 0x01;
    /** The reader accepts TCPv4 super-frames (needs {@link #TUN_F_CSUM}). */
    public static final int TUN_F_TSO4 = 0x02;
    public static final int TUN_F_TSO6 = 0x04;
    public static final int TUN_F_TSO_ECN = 0x08;
    public static final int TUN_F_UFO = 0x10;
    public static final int TUN_F_USO4 = 0x20;
    public static final int TUN_F_USO6 = 0x40;

    /** Longest interface name, without the terminating NUL. */
    public static final int MAX_NAME_LENGTH = 15;

    // _IOW('T', nr, int) = 0x400454nn, _IOR('T', nr, int) = 0x800454nn.
    static final long TUNSETIFF = 0x400454caL;
    static final long TUNSETPERSIST = 0x400454cbL;
    static final long TUNSETOWNER = 0x400454ccL;
    static final long TUNSETGROUP = 0x400454ceL;
    static final long TUNGETFEATURES = 0x800454cfL;
    static final long TUNSETOFFLOAD = 0x400454d0L;
    static final long TUNGETIFF = 0x800454d2L;
    static final long TUNGETVNETHDRSZ = 0x800454d7L;
    static final long TUNSETVNETHDRSZ = 0x400454d8L;

    /** {@code struct ifreq} as TUNSETIFF uses it: the name, then {@code ifr_flags} at the start of the union. */
    public static final StructLayout IFREQ = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(16, JAVA_BYTE).withName("ifr_name"),
            JAVA_SHORT.withName("ifr_flags"),
            MemoryLayout.paddingLayout(22));
    private static final VarHandle IFR_FLAGS = IFREQ.varHandle(MemoryLayout.PathElement.groupElement("ifr_flags"));
    private static final long IFR_NAME_OFFSET = 0;

    private final int fd;
    private final String name;
    private boolean closed;

    private Tun(int fd, String name) {
        this.fd = fd;
        this.name = name;
    }

    /**
     * Opens {@code /dev/net/tun} and attaches to the device {@code name} with TUNSETIFF, creating it when it does not
     * exist. {@code name} may hold a {@code %d} pattern (e.g. {@code tap%d}) or be empty to let the kernel choose;
     * {@link #name()} gives the name the kernel used. {@code flags} is {@link #IFF_TAP} or {@link #IFF_TUN}, usually
     * with {@link #IFF_NO_PI}, optionally {@link #IFF_VNET_HDR} and {@link #IFF_MULTI_QUEUE}.
     */
    public static Tun open(String name, int flags, boolean nonBlocking) throws SyscallException {
        return open(DEVICE, name, flags, nonBlocking);
    }

    /** Like {@link #open(String, int, boolean)} through another node of the tun character device (major 10, minor 200). */
    public static Tun open(String devicePath, String name, int flags, boolean nonBlocking) throws SyscallException {
        byte[] nameBytes = checkName(name);
        int openFlags = Libc.O_RDWR | Libc.O_CLOEXEC | (nonBlocking ? Libc.O_NONBLOCK : 0);
        int fd = Libc.open(devicePath, openFlags, 0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ifr = arena.allocate(IFREQ);
            MemorySegment.copy(nameBytes, 0, ifr, JAVA_BYTE, IFR_NAME_OFFSET, nameBytes.length);
            IFR_FLAGS.set(ifr, 0L, (short) flags);
            Libc.ioctl(fd, TUNSETIFF, ifr, "TUNSETIFF");
            return new Tun(fd, ifr.getString(IFR_NAME_OFFSET, StandardCharsets.US_ASCII));
        } catch (SyscallException | RuntimeException e) {
            Libc.close(fd);
            throw e;
        }
    }

    /** The bytes of an interface name; rejects names the kernel could not hold. */
    static byte[] checkName(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("interface name longer than " + MAX_NAME_LENGTH + " bytes: " + name);
        }
        return bytes;
    }

    /** The device's name, as the kernel chose or confirmed it. */
    public String name() {
        return name;
    }

    public int fd() {
        return fd;
    }

    /** TUNGETIFF: the device's current IFF_* flags (including {@link #IFF_PERSIST}). */
    public int flags() throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ifr = arena.allocate(IFREQ);
            Libc.ioctl(fd, TUNGETIFF, ifr, "TUNGETIFF");
            return Short.toUnsignedInt((short) IFR_FLAGS.get(ifr, 0L));
        }
    }

    /** TUNGETFEATURES: the IFF_* flags this kernel's tun driver accepts. */
    public int features() throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_INT);
            Libc.ioctl(fd, TUNGETFEATURES, out, "TUNGETFEATURES");
            return out.get(JAVA_INT, 0);
        }
    }

    /** TUNSETPERSIST: a persistent device outlives its descriptors, keeping owner, offloads and vnet header size. */
    public void setPersist(boolean persist) throws SyscallException {
        Libc.ioctl(fd, TUNSETPERSIST, persist ? 1L : 0L, "TUNSETPERSIST");
    }

    /** TUNSETOWNER: the uid allowed to attach besides CAP_NET_ADMIN holders ({@code -1} for none). */
    public void setOwner(int uid) throws SyscallException {
        Libc.ioctl(fd, TUNSETOWNER, Integer.toUnsignedLong(uid), "TUNSETOWNER");
    }

    /** TUNSETGROUP: the gid whose members may attach ({@code -1} for none). */
    public void setGroup(int gid) throws SyscallException {
        Libc.ioctl(fd, TUNSETGROUP, Integer.toUnsignedLong(gid), "TUNSETGROUP");
    }

    /**
     * TUNSETOFFLOAD: which partial-checksum and segmentation offloads the reader of this device accepts (TUN_F_*;
     * 0 for none). The setting outlives the descriptor on a persistent device, so set it on every attach.
     */
    public void setOffload(int offloads) throws SyscallException {
        Libc.ioctl(fd, TUNSETOFFLOAD, Integer.toUnsignedLong(offloads), "TUNSETOFFLOAD");
    }

    /** TUNSETVNETHDRSZ: {@link VirtioNetHeader#SIZE} (10, the default) or {@link VirtioNetHeader#MRG_RXBUF_SIZE}. */
    public void setVnetHeaderSize(int size) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocateFrom(JAVA_INT, size);
            Libc.ioctl(fd, TUNSETVNETHDRSZ, in, "TUNSETVNETHDRSZ");
        }
    }

    /** TUNGETVNETHDRSZ. */
    public int vnetHeaderSize() throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_INT);
            Libc.ioctl(fd, TUNGETVNETHDRSZ, out, "TUNGETVNETHDRSZ");
            return out.get(JAVA_INT, 0);
        }
    }

    /**
     * Reads one frame (preceded by the vnet header when the device has {@link #IFF_VNET_HDR}) into
     * {@code buf[offset, offset + length)}: its length, or {@link Libc#AGAIN} when none is queued on a non-blocking
     * descriptor.
     */
    public int read(MemorySegment buf, long offset, int length) throws SyscallException {
        return Libc.read(fd, buf, offset, length);
    }

    /** Writes {@code buf[offset, offset + length)} as one frame: the bytes written, or {@link Libc#AGAIN}. */
    public int write(MemorySegment buf, long offset, int length) throws SyscallException {
        return Libc.write(fd, buf, offset, length);
    }

    @Override
    public void close() throws SyscallException {
        if (!closed) {
            closed = true;
            Libc.close(fd);
        }
    }
}
