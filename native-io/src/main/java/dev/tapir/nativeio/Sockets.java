package dev.tapir.nativeio;

import static dev.tapir.nativeio.NativeRuntime.capture;
import static dev.tapir.nativeio.NativeRuntime.check;
import static dev.tapir.nativeio.NativeRuntime.errno;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * Socket calls of libc: socket, bind, listen, accept4, connect, send/recv, sendto/recvfrom, sendmsg/recvmsg,
 * sendmmsg/recvmmsg, socket options, names, shutdown.
 *
 * <p>As in {@link Libc}: {@code EINTR} is retried, {@code EAGAIN} on a non-blocking socket returns {@link Libc#AGAIN}
 * from the data calls, and every other failure throws a {@link SyscallException} naming the call. Data moves between
 * off-heap segments and the kernel only. Option calls allocate a little scratch and belong to set-up, except
 * {@link #getsockopt(int, int, int, MemorySegment, MemorySegment)} which uses the caller's memory.
 */
public final class Sockets {
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_NONBLOCK = 0x800;
    public static final int SOCK_CLOEXEC = 0x80000;

    public static final int IPPROTO_IP = 0;
    public static final int IPPROTO_TCP = 6;
    public static final int IPPROTO_UDP = 17;
    public static final int IPPROTO_IPV6 = 41;

    public static final int SOL_SOCKET = 1;
    public static final int SOL_UDP = 17;
    public static final int SO_REUSEADDR = 2;
    public static final int SO_ERROR = 4;
    public static final int SO_SNDBUF = 7;
    public static final int SO_RCVBUF = 8;
    /** Like SO_RCVBUF past net.core.rmem_max; needs CAP_NET_ADMIN. */
    public static final int SO_RCVBUFFORCE = 33;
    public static final int SO_REUSEPORT = 15;
    public static final int SO_RCVLOWAT = 18;
    public static final int SO_RCVTIMEO = 20;
    public static final int SO_SNDTIMEO = 21;
    /**
     * Stamp each received datagram with the kernel's arrival time: a {@code struct timespec} of CLOCK_REALTIME in a
     * {@code SOL_SOCKET}/{@link #SCM_TIMESTAMPNS} control message (SO_TIMESTAMPNS_OLD, 64-bit time_t here).
     */
    public static final int SO_TIMESTAMPNS = 35;
    public static final int SCM_TIMESTAMPNS = SO_TIMESTAMPNS;

    public static final int TCP_NODELAY = 1;
    public static final int TCP_MAXSEG = 2;
    public static final int TCP_INFO = 11;
    public static final int TCP_CONGESTION = 13;
    /** Longest congestion control name the kernel keeps ({@code TCP_CA_NAME_MAX}), terminating NUL included. */
    public static final int TCP_CA_NAME_MAX = 16;

    /** Sets the GSO segment size of a UDP socket, or of one send as a {@code SOL_UDP} control message (a u16). */
    public static final int UDP_SEGMENT = 103;
    /** Accept coalesced UDP receives; each then carries a {@code SOL_UDP}/{@code UDP_GRO} control message (an int). */
    public static final int UDP_GRO = 104;

    public static final int IPV6_V6ONLY = 26;

    public static final int MSG_CTRUNC = 0x8;
    public static final int MSG_TRUNC = 0x20;
    public static final int MSG_DONTWAIT = 0x40;
    public static final int MSG_WAITALL = 0x100;
    public static final int MSG_NOSIGNAL = 0x4000;
    public static final int MSG_WAITFORONE = 0x10000;

    public static final int SHUT_RD = 0;
    public static final int SHUT_WR = 1;
    public static final int SHUT_RDWR = 2;

    /** {@code struct timeval { time_t tv_sec; suseconds_t tv_usec; }}. */
    public static final StructLayout TIMEVAL = MemoryLayout.structLayout(
            JAVA_LONG.withName("tv_sec"), JAVA_LONG.withName("tv_usec"));

    private static final MethodHandle SOCKET = NativeRuntime.errnoCall("socket",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle BIND = NativeRuntime.errnoCall("bind",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle LISTEN = NativeRuntime.errnoCall("listen",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle ACCEPT4 = NativeRuntime.errnoCall("accept4",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    private static final MethodHandle CONNECT = NativeRuntime.errnoCall("connect",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SEND = NativeRuntime.errnoCall("send",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle RECV = NativeRuntime.errnoCall("recv",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle SENDTO = NativeRuntime.errnoCall("sendto",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle RECVFROM = NativeRuntime.errnoCall("recvfrom",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SENDMSG = NativeRuntime.errnoCall("sendmsg",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle RECVMSG = NativeRuntime.errnoCall("recvmsg",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SENDMMSG = NativeRuntime.errnoCall("sendmmsg",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle RECVMMSG = NativeRuntime.errnoCall("recvmmsg",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle SETSOCKOPT = NativeRuntime.errnoCall("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETSOCKOPT = NativeRuntime.errnoCall("getsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle GETSOCKNAME = NativeRuntime.errnoCall("getsockname",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle GETPEERNAME = NativeRuntime.errnoCall("getpeername",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SHUTDOWN = NativeRuntime.errnoCall("shutdown",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));

    private Sockets() {
    }

    /** {@code socket(domain, type | SOCK_CLOEXEC, protocol)}; returns the descriptor. */
    public static int socket(int domain, int type, int protocol) throws SyscallException {
        MemorySegment cap = capture();
        try {
            return check("socket", (int) SOCKET.invokeExact(cap, domain, type | SOCK_CLOEXEC, protocol), cap);
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }

    /** {@code bind(fd, addr, addrLength)}. */
    public static void bind(int fd, MemorySegment addr, int addrLength) throws SyscallException {
        MemorySegment cap = capture();
        try {
            check("bind", (int) BIND.invokeExact(cap, fd, addr, addrLength), cap);
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }

    /** {@code listen(fd, backlog)}. */
    public static void listen(int fd, int backlog) throws SyscallException {
        MemorySegment cap = capture();
        try {
            check("listen", (int) LISTEN.invokeExact(cap, fd, backlog), cap);
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }

    /**
     * {@code accept4(fd, addr, addrLength, flags | SOCK_CLOEXEC)}: the new descriptor, or {@link Libc#AGAIN} when no
     * connection is pending on a non-blocking listener. {@code addrLength} is a socklen_t holding the room in
     * {@code addr} on entry and the peer address's length on return; both may be {@link MemorySegment#NULL}.
     */
    public static int accept(int fd, MemorySegment addr, MemorySegment addrLength, int flags) throws SyscallException {
        MemorySegment cap = capture();
        try {
            while (true) {
                int rc = (int) ACCEPT4.invokeExact(cap, fd, addr, addrLength, flags | SOCK_CLOEXEC);
                if (rc >= 0) {
                    return rc;
                }
                int err = errno(cap);
                if (err == Errno.EAGAIN) {
                    return Libc.AGAIN;
                }
                // a connection that died in the queue is not the listener's failure: look for the next one
                if (err != Errno.EINTR && err != Errno.ECONNABORTED) {
                    throw new SyscallException("accept4", err);
                }
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }

    /**
     * Connects {@code fd} to {@code addr}, waiting at most {@code timeoutMillis} (negative: no limit). The descriptor
     * is switched to non-blocking mode and left so; the outcome is read from {@code SO_ERROR}. A refused connection
     * throws {@code connect}/{@code ECONNREFUSED}, an expired wait {@code connect}/{@code ETIMEDOUT}.
     */
    public static void connect(int fd, MemorySegment addr, int addrLength, int timeoutMillis) throws SyscallException {
        Libc.setNonBlocking(fd, true);
        MemorySegment cap = capture();
        int rc;
        try {
            rc = (int) CONNECT.invokeExact(cap, fd, addr, addrLength);
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
        if (rc == 0) {
            return;
        }
        int err = errno(cap);
        // after EINTR the kernel goes on connecting in the background, as after EINPROGRESS
        if (err != Errno.EINPROGRESS && err != Errno.EINTR) {
            throw new SyscallException("connect", err);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pollfd = arena.allocate(Libc.POLLFD);
            if (Libc.pollOne(pollfd, fd, Libc.POLLOUT, timeoutMillis) == 0) {
                throw new SyscallException("connect", Errno.ETIMEDOUT);
            }
        }
        int soError = getsockoptInt(fd, SOL_SOCKET, SO_ERROR);
        if (soError != 0) {
            throw new SyscallException("connect", soError);
        }
    }

    /** {@code send(fd, buf + offset, length, flags)}: bytes sent, or {@link Libc#AGAIN}. */
    public static int send(int fd, MemorySegment buf, long offset, int length, int flags) throws SyscallException {
        MemorySegment cap = capture();
        MemorySegment at = buf.asSlice(offset, length);
        try {
            while (true) {
                long rc = (long) SEND.invokeExact(cap, fd, at, (long) length, flags);
                if (rc >= 0) {
                    return (int) rc;
                }
                if (NativeRuntime.wouldBlock("send", cap)) {
                    return Libc.AGAIN;
                }
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }

    /** {@code recv(fd, buf + offset, length, flags)}: bytes received, 0 at end of stream, or {@link Libc#AGAIN}. */
    public static int recv(int fd, MemorySegment buf, long offset, int length, int flags) throws SyscallException {
        MemorySegment cap = capture();
        MemorySegment at = buf.asSlice(offset, length);
        try {
            while (true) {
                long rc = (long) RECV.invokeExact(cap, fd, at, (long) length, flags);
                if (rc >= 0) {
                    return (int) rc;
                }
                if (NativeRuntime.wouldBlock("recv", cap)) {
                    return Libc.AGAIN;
                }
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }

    /** {@code sendto(fd, buf + offset, length, flags, addr, addrLength)}: bytes sent, or {@link Libc#AGAIN}. */
    public static int sendto(int fd, MemorySegment buf, long offset, int length, int flags, MemorySegment addr,
            int addrLength) throws SyscallException {
        MemorySegment cap = capture();
        MemorySegment at = buf.asSlice(offset, length);
        try {
            while (true) {
                long rc = (long) SENDTO.invokeExact(cap, fd, at, (long) length, flags, addr, addrLength);
                if (rc >= 0) {
                    return (int) rc;
                }
                if (NativeRuntime.wouldBlock("sendto", cap)) {
                    return Libc.AGAIN;
                }
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }

    /**
     * {@code recvfrom(fd, buf + offset, length, flags, addr, addrLength)}: bytes received, or {@link Libc#AGAIN}.
     * {@code addrLength} is an in/out socklen_t as for {@link #accept}.
     */
    public static int recvfrom(int fd, MemorySegment buf, long offset, int length, int flags, MemorySegment addr,
            MemorySegment addrLength) throws SyscallException {
        MemorySegment cap = capture();
        MemorySegment at = buf.asSlice(offset, length);
        try {
            while (true) {
                long rc = (long) RECVFROM.invokeExact(cap, fd, at, (long) length, flags, addr, addrLength);
                if (rc >= 0) {
                    return (int) rc;
                }
                if (NativeRuntime.wouldBlock("recvfrom", cap)) {
                    return Libc.AGAIN;
                }
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }

    /** {@code sendmsg(fd, msghdr, flags)} with a {@link MsgHdr#MSGHDR}: bytes sent, or {@link Libc#AGAIN}. */
    public static int sendmsg(int fd, MemorySegment msghdr, int flags) throws SyscallException {
        MemorySegment cap = capture();
        try {
            while (true) {
                long rc = (long) SENDMSG.invokeExact(cap, fd, msghdr, flags);
                if (rc >= 0) {
                    return (int) rc;
                }
                if (NativeRuntime.wouldBlock("sendmsg", cap)) {
                    return Libc.AGAIN;
                }
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }

    /** {@code recvmsg(fd, msghdr, flags)}: bytes received (0 for an empty datagram or end of stream), or {@link Libc#AGAIN}. */
    public static int recvmsg(int fd, MemorySegment msghdr, int flags) throws SyscallException {
        MemorySegment cap = capture();
        try {
            while (true) {
                long rc = (long) RECVMSG.invokeExact(cap, fd, msghdr, flags);
                if (rc >= 0) {
                    return (int) rc;
                }
                if (NativeRuntime.wouldBlock("recvmsg", cap)) {
                    return Libc.AGAIN;
                }
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }

    /**
     * {@code sendmmsg(fd, msgs, count, flags)} over an array of {@link MsgHdr#MMSGHDR}: messages sent (each one's
     * {@code msg_len} set), or {@link Libc#AGAIN} when not even the first could be queued.
     */
    public static int sendmmsg(int fd, MemorySegment msgs, int count, int flags) throws SyscallException {
        MemorySegment cap = capture();
        try {
            while (true) {
                int rc = (int) SENDMMSG.invokeExact(cap, fd, msgs, count, flags);
                if (rc >= 0) {
                    return rc;
                }
                if (NativeRuntime.wouldBlock("sendmmsg", cap)) {
                    return Libc.AGAIN;
                }
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }

    /**
     * {@code recvmmsg(fd, msgs, count, flags, NULL)}: messages received (each one's {@code msg_len} set), or
     * {@link Libc#AGAIN} when none was queued on a non-blocking socket.
     */
    public static int recvmmsg(int fd, MemorySegment msgs, int count, int flags) throws SyscallException {
        MemorySegment cap = capture();
        try {
            while (true) {
                int rc = (int) RECVMMSG.invokeExact(cap, fd, msgs, count, flags, MemorySegment.NULL);
                if (rc >= 0) {
                    return rc;
                }
                if (NativeRuntime.wouldBlock("recvmmsg", cap)) {
                    return Libc.AGAIN;
                }
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }

    /** {@code setsockopt} with the caller's value bytes. */
    public static void setsockopt(int fd, int level, int name, MemorySegment value, int length)
            throws SyscallException {
        MemorySegment cap = capture();
        try {
            check("setsockopt", (int) SETSOCKOPT.invokeExact(cap, fd, level, name, value, length), cap);
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }

    /**
     * {@code getsockopt} into the caller's memory: {@code length} is a socklen_t holding the room in {@code value};
     * returns the length the kernel wrote. Allocates nothing (for TCP_INFO sampled during a test).
     */
    public static int getsockopt(int fd, int level, int name, MemorySegment value, MemorySegment length)
            throws SyscallException {
        MemorySegment cap = capture();
        try {
            check("getsockopt", (int) GETSOCKOPT.invokeExact(cap, fd, level, name, value, length), cap);
            return length.get(JAVA_INT, 0);
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }

    /** Sets an int option (SO_SNDBUF, TCP_NODELAY, TCP_MAXSEG, UDP_SEGMENT, UDP_GRO, IPV6_V6ONLY...). */
    public static void setsockopt(int fd, int level, int name, int value) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            setsockopt(fd, level, name, arena.allocateFrom(JAVA_INT, value), Integer.BYTES);
        }
    }

    /** Reads an int option. */
    public static int getsockoptInt(int fd, int level, int name) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(JAVA_INT);
            getsockopt(fd, level, name, value, arena.allocateFrom(JAVA_INT, Integer.BYTES));
            return value.get(JAVA_INT, 0);
        }
    }

    /** Sets a timeval option ({@link #SO_RCVTIMEO}, {@link #SO_SNDTIMEO}) at socket level; 0 means wait forever. */
    public static void setsockoptTimeval(int fd, int name, long millis) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment tv = arena.allocate(TIMEVAL);
            tv.set(JAVA_LONG, 0, millis / 1000);
            tv.set(JAVA_LONG, 8, (millis % 1000) * 1000);
            setsockopt(fd, SOL_SOCKET, name, tv, (int) TIMEVAL.byteSize());
        }
    }

    /** Reads a timeval option at socket level, in milliseconds. */
    public static long getsockoptTimeval(int fd, int name) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment tv = arena.allocate(TIMEVAL);
            getsockopt(fd, SOL_SOCKET, name, tv, arena.allocateFrom(JAVA_INT, (int) TIMEVAL.byteSize()));
            return tv.get(JAVA_LONG, 0) * 1000 + tv.get(JAVA_LONG, 8) / 1000;
        }
    }

    /** Sets a string option such as {@link #TCP_CONGESTION}. */
    public static void setsockopt(int fd, int level, int name, String value) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
            MemorySegment text = arena.allocate(bytes.length);
            MemorySegment.copy(MemorySegment.ofArray(bytes), 0, text, 0, bytes.length);
            setsockopt(fd, level, name, text, bytes.length);
        }
    }

    /** Reads a NUL-terminated string option of at most {@code maxLength} bytes such as {@link #TCP_CONGESTION}. */
    public static String getsockoptString(int fd, int level, int name, int maxLength) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment text = arena.allocate(maxLength + 1);
            int length = getsockopt(fd, level, name, text, arena.allocateFrom(JAVA_INT, maxLength));
            int end = 0;
            while (end < length && text.get(JAVA_BYTE, end) != 0) {
                end++;
            }
            return new String(text.asSlice(0, end).toArray(JAVA_BYTE), StandardCharsets.US_ASCII);
        }
    }

    /** {@code getsockname(fd, addr, addrLength)}; {@code addrLength} in/out as for {@link #accept}. */
    public static void getsockname(int fd, MemorySegment addr, MemorySegment addrLength) throws SyscallException {
        MemorySegment cap = capture();
        try {
            check("getsockname", (int) GETSOCKNAME.invokeExact(cap, fd, addr, addrLength), cap);
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }

    /** {@code getpeername(fd, addr, addrLength)}; {@code addrLength} in/out as for {@link #accept}. */
    public static void getpeername(int fd, MemorySegment addr, MemorySegment addrLength) throws SyscallException {
        MemorySegment cap = capture();
        try {
            check("getpeername", (int) GETPEERNAME.invokeExact(cap, fd, addr, addrLength), cap);
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }

    /** The address {@code fd} is bound to (allocates; set-up only). */
    public static InetSocketAddress localAddress(int fd) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = arena.allocate(SockAddr.SOCKADDR_STORAGE);
            getsockname(fd, sa, arena.allocateFrom(JAVA_INT, (int) sa.byteSize()));
            return SockAddr.read(sa);
        }
    }

    /** The address of {@code fd}'s peer (allocates; set-up only). */
    public static InetSocketAddress remoteAddress(int fd) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = arena.allocate(SockAddr.SOCKADDR_STORAGE);
            getpeername(fd, sa, arena.allocateFrom(JAVA_INT, (int) sa.byteSize()));
            return SockAddr.read(sa);
        }
    }

    /** Binds {@code fd} to {@code local} (allocates; set-up only). */
    public static void bind(int fd, InetSocketAddress local) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = arena.allocate(SockAddr.SOCKADDR_STORAGE);
            bind(fd, sa, SockAddr.write(sa, local));
        }
    }

    /** Connects {@code fd} to {@code remote} as {@link #connect(int, MemorySegment, int, int)} does (allocates). */
    public static void connect(int fd, InetSocketAddress remote, int timeoutMillis) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = arena.allocate(SockAddr.SOCKADDR_STORAGE);
            connect(fd, sa, SockAddr.write(sa, remote), timeoutMillis);
        }
    }

    /** {@code shutdown(fd, how)} with {@link #SHUT_RD}, {@link #SHUT_WR} or {@link #SHUT_RDWR}. */
    public static void shutdown(int fd, int how) throws SyscallException {
        MemorySegment cap = capture();
        try {
            check("shutdown", (int) SHUTDOWN.invokeExact(cap, fd, how), cap);
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }

    /** Closes a socket ({@link Libc#close}). */
    public static void close(int fd) throws SyscallException {
        Libc.close(fd);
    }
}
