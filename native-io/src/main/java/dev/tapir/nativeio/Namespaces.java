package dev.tapir.nativeio;

import static dev.tapir.nativeio.NativeRuntime.capture;
import static dev.tapir.nativeio.NativeRuntime.check;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Named network namespaces, compatible with {@code ip netns}: a namespace {@code NAME} is kept alive by a bind mount of
 * its nsfs inode on {@code /run/netns/NAME}.
 *
 * <p><b>setns changes only the calling thread.</b> A thread that {@link #enter}ed a namespace sees its links, and any
 * tap ({@link Tun#open}), netlink socket ({@link Netlink#open}), socket, {@code if_nametoindex} or
 * {@code /proc/sys/net} file it opens belongs to that namespace; other threads of the JVM stay where they were. The
 * kernel fixes a descriptor's namespace when it is opened, so a descriptor opened by a thread inside a namespace keeps
 * working there when used from any other thread. The simple rule for callers: open everything that must live in a
 * namespace from a thread that entered it, which {@link #callIn} provides.
 */
public final class Namespaces {
    public static final Path RUN_DIR = Path.of("/run/netns");
    private static final Path LEGACY_RUN_DIR = Path.of("/var/run/netns");

    static final int CLONE_NEWNET = 0x40000000;
    private static final long MS_BIND = 4096;
    private static final long MS_REC = 16384;
    private static final long MS_SHARED = 1L << 20;
    private static final int MNT_DETACH = 2;
    private static final int O_CREAT = 0x40;
    private static final int O_EXCL = 0x80;

    private static final MethodHandle SETNS = NativeRuntime.errnoCall("setns",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle UNSHARE = NativeRuntime.errnoCall("unshare",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle MOUNT = NativeRuntime.errnoCall("mount",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
    private static final MethodHandle UMOUNT2 = NativeRuntime.errnoCall("umount2",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle MKDIR = NativeRuntime.errnoCall("mkdir",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle UNLINK = NativeRuntime.errnoCall("unlink",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));

    /** Work to run inside a namespace. */
    @FunctionalInterface
    public interface Task<T> {
        T run() throws IOException;
    }

    private Namespaces() {
    }

    /** Where the namespace's bind mount lives (or would live). */
    public static Path path(String name) {
        checkName(name);
        Path legacy = LEGACY_RUN_DIR.resolve(name);
        Path current = RUN_DIR.resolve(name);
        return !Files.exists(current) && Files.exists(legacy) ? legacy : current;
    }

    public static boolean exists(String name) {
        return Files.exists(path(name));
    }

    /** Moves the calling thread (only) into the named namespace: {@code setns(open(/run/netns/NAME), CLONE_NEWNET)}. */
    public static void enter(String name) throws SyscallException {
        int fd = Libc.open(path(name).toString(), Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        try {
            setns(fd);
        } finally {
            Libc.close(fd);
        }
    }

    /**
     * Runs {@code task} on a new platform thread that first entered the named namespace, waits for it and returns its
     * result; the thread ends with the task, so no thread of the caller changes namespace. Exceptions of the task are
     * rethrown here.
     */
    public static <T> T callIn(String name, Task<T> task) throws IOException {
        AtomicReference<T> result = new AtomicReference<>();
        Throwable t = runOnOwnThread("netns-" + name, "waiting for work in network namespace " + name, () -> {
            enter(name);
            result.set(task.run());
        });
        if (t instanceof IOException e) {
            throw e;
        }
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return result.get();
    }

    /**
     * Creates the named namespace as {@code ip netns add} does: makes {@code /run/netns} a shared mount (so the name is
     * visible from other mount namespaces), creates {@code /run/netns/NAME}, and on a helper thread unshares a new
     * network namespace and bind-mounts {@code /proc/thread-self/ns/net} onto that file. Fails with EEXIST if the name
     * is taken. Needs CAP_SYS_ADMIN.
     */
    public static void create(String name) throws IOException {
        checkName(name);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dir = arena.allocateFrom(RUN_DIR.toString());
            MemorySegment none = arena.allocateFrom("none");
            MemorySegment cap = capture();
            int rc = (int) MKDIR.invokeExact(cap, dir, 0755);
            if (rc == -1 && NativeRuntime.errno(cap) != Errno.EEXIST) {
                throw new SyscallException("mkdir", NativeRuntime.errno(cap));
            }
            rc = (int) MOUNT.invokeExact(cap, arena.allocateFrom(""), dir, none, MS_SHARED | MS_REC,
                    MemorySegment.NULL);
            if (rc == -1 && NativeRuntime.errno(cap) == Errno.EINVAL) {
                // Not a mount point yet: make it one, then shared.
                check("mount", (int) MOUNT.invokeExact(cap, dir, dir, none, MS_BIND | MS_REC, MemorySegment.NULL),
                        cap);
                rc = (int) MOUNT.invokeExact(cap, arena.allocateFrom(""), dir, none, MS_SHARED | MS_REC,
                        MemorySegment.NULL);
            }
            check("mount", rc, cap);
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
        Path target = RUN_DIR.resolve(name);
        Libc.close(Libc.open(target.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC | O_CREAT | O_EXCL, 0));
        Throwable t = runOnOwnThread("netns-create-" + name, "creating network namespace " + name, () -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment cap = capture();
                check("unshare", (int) UNSHARE.invokeExact(cap, CLONE_NEWNET), cap);
                check("mount", (int) MOUNT.invokeExact(cap, arena.allocateFrom("/proc/thread-self/ns/net"),
                        arena.allocateFrom(target.toString()), arena.allocateFrom("none"), MS_BIND,
                        MemorySegment.NULL), cap);
            }
        });
        if (t != null) {
            removeMountPoint(target);
            if (t instanceof SyscallException e) {
                throw e;
            }
            throw NativeRuntime.unexpected(t);
        }
    }

    /** What {@link #runOnOwnThread} runs. */
    private interface ThreadBody {
        void run() throws Throwable;
    }

    /**
     * Runs {@code body} on a new platform thread and waits for it; returns what it threw, or null. A thread that
     * unshares or enters a namespace ends with the work, so none of the caller's threads changes namespace.
     */
    private static Throwable runOnOwnThread(String threadName, String doing, ThreadBody body)
            throws InterruptedIOException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread thread = Thread.ofPlatform().name(threadName).unstarted(() -> {
            try {
                body.run();
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        thread.start();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while " + doing);
        }
        return failure.get();
    }

    /**
     * Deletes the named namespace as {@code ip netns delete} does: detaches the bind mount and removes the file. The
     * kernel destroys the namespace, with its links, once no thread, socket or tap still holds it.
     */
    public static void delete(String name) throws SyscallException {
        Path target = path(name);
        if (!Files.exists(target)) {
            throw new SyscallException("unlink", Errno.ENOENT);
        }
        removeMountPoint(target);
    }

    private static void removeMountPoint(Path target) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment path = arena.allocateFrom(target.toString());
            MemorySegment cap = capture();
            int rc = (int) UMOUNT2.invokeExact(cap, path, MNT_DETACH);
            if (rc == -1 && NativeRuntime.errno(cap) != Errno.EINVAL) {
                throw new SyscallException("umount2", NativeRuntime.errno(cap));
            }
            check("unlink", (int) UNLINK.invokeExact(cap, path), cap);
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }

    private static void setns(int fd) throws SyscallException {
        MemorySegment cap = capture();
        try {
            check("setns", (int) SETNS.invokeExact(cap, fd, CLONE_NEWNET), cap);
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }

    private static void checkName(String name) {
        if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("not a namespace name: '" + name + "'");
        }
    }
}
