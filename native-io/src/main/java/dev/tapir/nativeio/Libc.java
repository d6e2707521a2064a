package dev.tapir.nativeio;

import static dev.tapir.nativeio.NativeRuntime.capture;
import static dev.tapir.nativeio.NativeRuntime.check;
import static dev.tapir.nativeio.NativeRuntime.errno;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * File-descriptor calls of libc: open, close, read, write, ioctl, poll.
 *
 * <p>Calls that can legitimately find nothing to do on a non-blocking descriptor return {@link #AGAIN} instead of
 * throwing, so that a hot loop pays no exception for an empty queue; {@code EINTR} is retried; every other failure
 * throws a {@link SyscallException}.
 */
public final class Libc {
    /** Returned by read/write-like calls when the descriptor is non-blocking and would block ({@code EAGAIN}). */
    public static final int AGAIN = -1;

    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_CLOEXEC = 0x80000;

    public static final short POLLIN = 0x001;
    public static final short POLLOUT = 0x004;
    public static final short POLLERR = 0x008;
    public static final short POLLHUP = 0x010;
    public static final short POLLNVAL = 0x020;

    /** {@code struct pollfd { int fd; short events; short revents; }}. */
    public static final StructLayout POLLFD = MemoryLayout.structLayout(
            JAVA_INT.withName("fd"), JAVA_SHORT.withName("events"), JAVA_SHORT.withName("revents"));
    private static final VarHandle POLLFD_FD = POLLFD.varHandle(MemoryLayout.PathElement.groupElement("fd"));
    private static final VarHandle POLLFD_EVENTS = POLLFD.varHandle(MemoryLayout.PathElement.groupElement("events"));
    private static final VarHandle POLLFD_REVENTS = POLLFD.varHandle(MemoryLayout.PathElement.groupElement("revents"));

    private static final MethodHandle OPEN = NativeRuntime.variadicErrnoCall("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), 2);
    private static final MethodHandle CLOSE = NativeRuntime.errnoCall("close",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle READ = NativeRuntime.errnoCall("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE = NativeRuntime.errnoCall("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle IOCTL = NativeRuntime.variadicErrnoCall("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), 2);
    private static final MethodHandle IOCTL_INT = NativeRuntime.variadicErrnoCall("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), 2);
    private static final MethodHandle POLL = NativeRuntime.errnoCall("poll",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle FCNTL = NativeRuntime.variadicErrnoCall("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), 2);

    private static final int F_GETFL = 3;
    private static final int F_SETFL = 4;

    private Libc() {
    }

    /** {@code open(path, flags, mode)}; returns the new descriptor. */
    public static int open(String path, int flags, int mode) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cPath = arena.allocateFrom(path);
            MemorySegment cap = capture();
            int rc;
            do {
                rc = (int) OPEN.invokeExact(cap, cPath, flags, mode);
            } while (rc == -1 && errno(cap) == Errno.EINTR);
            return check("open", rc, cap);
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }

    /** {@code close(fd)}. EINTR is not retried: on Linux the descriptor is released regardless. */
    public static void close(int fd) throws SyscallException {
        MemorySegment cap = capture();
        int rc;
        try {
            rc = (int) CLOSE.invokeExact(cap, fd);
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
        if (rc == -1 && errno(cap) != Errno.EINTR) {
            throw new SyscallException("close", errno(cap));
        }
    }

    /** {@code read(fd, buf + offset, length)}: bytes read, 0 at end of file, or {@link #AGAIN}. */
    public static int read(int fd, MemorySegment buf, long offset, int length) throws SyscallException {
        MemorySegment cap = capture();
        MemorySegment at = buf.asSlice(offset, length);
        try {
            while (true) {
                long rc = (long) READ.invokeExact(cap, fd, at, (long) length);
                if (rc >= 0) {
                    return (int) rc;
                }
                if (NativeRuntime.wouldBlock("read", cap)) {
                    return AGAIN;
                }
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }

    /** {@code write(fd, buf + offset, length)}: bytes written, or {@link #AGAIN}. */
    public static int write(int fd, MemorySegment buf, long offset, int length) throws SyscallException {
        MemorySegment cap = capture();
        MemorySegment at = buf.asSlice(offset, length);
        try {
            while (true) {
                long rc = (long) WRITE.invokeExact(cap, fd, at, (long) length);
                if (rc >= 0) {
                    return (int) rc;
                }
                if (NativeRuntime.wouldBlock("write", cap)) {
                    return AGAIN;
                }
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }

    /** {@code ioctl(fd, request, argp)} with a pointer argument; returns the call's non-negative result. */
    public static int ioctl(int fd, long request, MemorySegment argp, String name) throws SyscallException {
        MemorySegment cap = capture();
        try {
            return check(name, (int) IOCTL.invokeExact(cap, fd, request, argp), cap);
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }

    /** {@code ioctl(fd, request, value)} with an integer argument (e.g. TUNSETPERSIST). */
    public static int ioctl(int fd, long request, long value, String name) throws SyscallException {
        MemorySegment cap = capture();
        try {
            return check(name, (int) IOCTL_INT.invokeExact(cap, fd, request, value), cap);
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }

    /** Sets or clears {@code O_NONBLOCK} on a descriptor. */
    public static void setNonBlocking(int fd, boolean nonBlocking) throws SyscallException {
        MemorySegment cap = capture();
        try {
            int flags = check("fcntl", (int) FCNTL.invokeExact(cap, fd, F_GETFL, 0), cap);
            int wanted = nonBlocking ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
            if (wanted != flags) {
                check("fcntl", (int) FCNTL.invokeExact(cap, fd, F_SETFL, wanted), cap);
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }

    /**
     * Waits until {@code fd} has one of {@code events} or the timeout passes; returns the revents seen, 0 on timeout.
     * The caller supplies the one-entry pollfd segment ({@link #POLLFD}) so that waiting allocates nothing.
     */
    public static int pollOne(MemorySegment pollfd, int fd, short events, int timeoutMillis) throws SyscallException {
        POLLFD_FD.set(pollfd, 0L, fd);
        POLLFD_EVENTS.set(pollfd, 0L, events);
        POLLFD_REVENTS.set(pollfd, 0L, (short) 0);
        MemorySegment cap = capture();
        try {
            while (true) {
                int rc = (int) POLL.invokeExact(cap, pollfd, 1L, timeoutMillis);
                if (rc >= 0) {
                    return rc == 0 ? 0 : Short.toUnsignedInt((short) POLLFD_REVENTS.get(pollfd, 0L));
                }
                if (errno(cap) != Errno.EINTR) {
                    throw new SyscallException("poll", errno(cap));
                }
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }
}
