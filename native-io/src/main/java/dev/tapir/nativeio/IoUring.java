package dev.tapir.nativeio;

import static dev.tapir.nativeio.NativeRuntime.capture;
import static dev.tapir.nativeio.NativeRuntime.errno;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * An io_uring instance for reads, writes and sends on descriptors: many operations queued in user memory, then one
 * {@code io_uring_enter} starts them all. Where each call costs a kernel entry and exit (costly under page-table
 * isolation), this turns one system call per tap frame, or per small block sent on a TCP socket, into one per batch.
 *
 * <p>Used from one thread at a time (the queue and the completion ring are not locked). Operations are described by
 * raw addresses of off-heap memory that must stay valid until the operation's completion has been
 * {@linkplain #drainCompletions drained}. With {@link #RWF_NOWAIT} a read or write that would block completes at
 * once with {@code -EAGAIN} instead of waiting, so every such operation has completed when {@link #submit} returns.
 *
 * <p>Not every kernel allows io_uring (it can be disabled by sysctl or a seccomp filter): {@link #open} then throws
 * a {@link SyscallException} with ENOSYS or EPERM, and the caller falls back to plain calls.
 */
@SuppressWarnings("restricted")
public final class IoUring implements AutoCloseable {
    /** {@code preadv2}/{@code pwritev2} flag: do not wait for data or room; complete with {@code -EAGAIN}. */
    public static final int RWF_NOWAIT = 0x08;
    /** File offset meaning "the descriptor's current position" (what a socket or tap wants). */
    public static final long CURRENT_POSITION = -1L;

    private static final int SYS_IO_URING_SETUP = 425;
    private static final int SYS_IO_URING_ENTER = 426;

    private static final byte IORING_OP_READ = 22;
    private static final byte IORING_OP_WRITE = 23;
    private static final byte IORING_OP_SEND = 26;
    /** SQE flag: the next entry starts only after this one succeeded; a failure cancels the rest of the chain. */
    private static final byte IOSQE_IO_LINK = 1 << 2;
    /** Keeps submitting the rest of a batch when one entry fails its preparation (5.18); set when accepted. */
    private static final int IORING_SETUP_SUBMIT_ALL = 1 << 7;
    private static final int IORING_FEAT_SINGLE_MMAP = 1;
    private static final int IORING_ENTER_GETEVENTS = 1;
    private static final long IORING_OFF_SQ_RING = 0L;
    private static final long IORING_OFF_CQ_RING = 0x8000000L;
    private static final long IORING_OFF_SQES = 0x10000000L;

    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_SHARED_POPULATE = 0x01 | 0x8000;

    // struct io_uring_params: 10 words of settings, then io_sqring_offsets and io_cqring_offsets (40 bytes each).
    private static final long PARAMS_SIZE = 120;
    private static final long P_SQ_ENTRIES = 0;
    private static final long P_CQ_ENTRIES = 4;
    private static final long P_FLAGS = 8;
    private static final long P_FEATURES = 20;
    private static final long SQ_OFF = 40;
    private static final long CQ_OFF = 80;
    // Within io_sqring_offsets: head, tail, ring_mask, ring_entries, flags, dropped, array.
    private static final long SQ_HEAD = 0;
    private static final long SQ_TAIL = 4;
    private static final long SQ_RING_MASK = 8;
    private static final long SQ_ARRAY = 24;
    // Within io_cqring_offsets: head, tail, ring_mask, ring_entries, overflow, cqes.
    private static final long CQ_HEAD = 0;
    private static final long CQ_TAIL = 4;
    private static final long CQ_RING_MASK = 8;
    private static final long CQ_CQES = 20;

    // struct io_uring_sqe (64 bytes) and struct io_uring_cqe (16 bytes).
    private static final long SQE_SIZE = 64;
    private static final long SQE_OPCODE = 0;
    private static final long SQE_FLAGS = 1;
    private static final long SQE_IOPRIO = 2;
    private static final long SQE_FD = 4;
    private static final long SQE_OFF = 8;
    private static final long SQE_ADDR = 16;
    private static final long SQE_LEN = 24;
    private static final long SQE_OP_FLAGS = 28;
    private static final long SQE_USER_DATA = 32;
    private static final long SQE_TAIL_WORDS = 40;
    private static final long CQE_SIZE = 16;
    private static final long CQE_USER_DATA = 0;
    private static final long CQE_RES = 8;

    /** Ring indices the kernel reads or writes concurrently: acquire loads and release stores. */
    private static final VarHandle RING_INDEX = JAVA_INT.varHandle();

    private static final MethodHandle SYSCALL_SETUP = NativeRuntime.variadicErrnoCall("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS), 1);
    private static final MethodHandle SYSCALL_ENTER = NativeRuntime.variadicErrnoCall("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG),
            1);
    private static final MethodHandle MMAP = NativeRuntime.errnoCall("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MUNMAP = NativeRuntime.errnoCall("munmap",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));

    /** Receives completions from {@link #drainCompletions}. */
    @FunctionalInterface
    public interface CompletionHandler {
        /** {@code result} is the operation's return value: bytes moved, or a negated errno ({@code -EAGAIN}...). */
        void onCompletion(long userData, int result);
    }

    private final int fd;
    private final int entries;
    private final MemorySegment sqRing;
    private final MemorySegment cqRing;
    private final MemorySegment sqes;
    private final long sqRingSize;
    private final long cqRingSize;
    private final long sqHead;
    private final long sqTail;
    private final int sqMask;
    private final long cqHead;
    private final long cqTail;
    private final int cqMask;
    private final long cqes;
    /** Entries written since the last submit; the kernel sees them only when the tail is published. */
    private int queued;
    private int localTail;
    private boolean closed;

    private IoUring(int fd, int entries, MemorySegment sqRing, long sqRingSize, MemorySegment cqRing,
            long cqRingSize, MemorySegment sqes, MemorySegment params) {
        this.fd = fd;
        this.entries = entries;
        this.sqRing = sqRing;
        this.sqRingSize = sqRingSize;
        this.cqRing = cqRing;
        this.cqRingSize = cqRingSize;
        this.sqes = sqes;
        this.sqHead = params.get(JAVA_INT, SQ_OFF + SQ_HEAD);
        this.sqTail = params.get(JAVA_INT, SQ_OFF + SQ_TAIL);
        this.sqMask = sqRing.get(JAVA_INT, params.get(JAVA_INT, SQ_OFF + SQ_RING_MASK));
        this.cqHead = params.get(JAVA_INT, CQ_OFF + CQ_HEAD);
        this.cqTail = params.get(JAVA_INT, CQ_OFF + CQ_TAIL);
        this.cqMask = cqRing.get(JAVA_INT, params.get(JAVA_INT, CQ_OFF + CQ_RING_MASK));
        this.cqes = params.get(JAVA_INT, CQ_OFF + CQ_CQES);
        this.localTail = (int) RING_INDEX.getAcquire(sqRing, sqTail);
        // The submission array maps ring slot i to entry i once and for all.
        long array = params.get(JAVA_INT, SQ_OFF + SQ_ARRAY);
        for (int i = 0; i < entries; i++) {
            sqRing.set(JAVA_INT, array + 4L * i, i);
        }
    }

    /**
     * Sets up a ring with room for {@code entries} queued operations (a power of two, 1..4096; the completion ring
     * gets twice as many).
     */
    public static IoUring open(int entries) throws SyscallException {
        if (entries < 1 || entries > 4096 || Integer.bitCount(entries) != 1) {
            throw new IllegalArgumentException("io_uring entries must be a power of two in 1..4096: " + entries);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = arena.allocate(PARAMS_SIZE, 8);
            int fd;
            try {
                fd = setup(entries, params, IORING_SETUP_SUBMIT_ALL);
            } catch (SyscallException e) {
                if (e.errno() != Errno.EINVAL) {
                    throw e;
                }
                params.fill((byte) 0);
                fd = setup(entries, params, 0);
            }
            try {
                return map(fd, params);
            } catch (SyscallException | RuntimeException e) {
                Libc.close(fd);
                throw e;
            }
        }
    }

    /**
     * Like {@link #open}, but null where the kernel refuses io_uring: ENOSYS (not built in, or a seccomp filter),
     * EPERM ({@code kernel.io_uring_disabled}), ENOMEM (locked-memory limits of older kernels).
     */
    public static IoUring openIfAllowed(int entries) throws SyscallException {
        try {
            return open(entries);
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENOSYS || e.errno() == Errno.EPERM || e.errno() == Errno.ENOMEM) {
                return null;
            }
            throw e;
        }
    }

    /** Whether this process may set up an io_uring (a probe with one entry, closed at once). */
    public static boolean isAllowed() throws SyscallException {
        try (IoUring probe = openIfAllowed(1)) {
            return probe != null;
        }
    }

    private static int setup(int entries, MemorySegment params, int flags) throws SyscallException {
        params.set(JAVA_INT, P_FLAGS, flags);
        MemorySegment cap = capture();
        try {
            long rc = (long) SYSCALL_SETUP.invokeExact(cap, (long) SYS_IO_URING_SETUP, entries, params);
            return (int) NativeRuntime.check("io_uring_setup", rc, cap);
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }

    private static IoUring map(int fd, MemorySegment params) throws SyscallException {
        int sqEntries = params.get(JAVA_INT, P_SQ_ENTRIES);
        int cqEntries = params.get(JAVA_INT, P_CQ_ENTRIES);
        long sqSize = params.get(JAVA_INT, SQ_OFF + SQ_ARRAY) + 4L * sqEntries;
        long cqSize = params.get(JAVA_INT, CQ_OFF + CQ_CQES) + CQE_SIZE * cqEntries;
        boolean single = (params.get(JAVA_INT, P_FEATURES) & IORING_FEAT_SINGLE_MMAP) != 0;
        if (single) {
            sqSize = Math.max(sqSize, cqSize);
        }
        MemorySegment sqRing = mmap(fd, sqSize, IORING_OFF_SQ_RING);
        MemorySegment cqRing = sqRing;
        MemorySegment sqes = null;
        try {
            if (!single) {
                cqRing = mmap(fd, cqSize, IORING_OFF_CQ_RING);
            }
            sqes = mmap(fd, SQE_SIZE * sqEntries, IORING_OFF_SQES);
            return new IoUring(fd, sqEntries, sqRing, sqSize, cqRing, single ? 0 : cqSize, sqes, params);
        } catch (SyscallException | RuntimeException e) {
            // Best effort: the failure being thrown says more than an unmap's.
            munmap(sqRing, sqSize);
            if (cqRing != sqRing) {
                munmap(cqRing, cqSize);
            }
            if (sqes != null) {
                munmap(sqes, SQE_SIZE * sqEntries);
            }
            throw e;
        }
    }

    private static MemorySegment mmap(int fd, long size, long offset) throws SyscallException {
        MemorySegment cap = capture();
        try {
            MemorySegment at = (MemorySegment) MMAP.invokeExact(cap, MemorySegment.NULL, size, PROT_READ_WRITE,
                    MAP_SHARED_POPULATE, fd, offset);
            if (at.address() == -1L) {
                throw new SyscallException("mmap", errno(cap));
            }
            return at.reinterpret(size);
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }

    /** {@code munmap}: 0, or -1 with errno in the calling thread's capture segment. */
    private static int munmap(MemorySegment at, long size) {
        try {
            return (int) MUNMAP.invokeExact(capture(), at, size);
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }

    /** How many operations may be queued at once. */
    public int entries() {
        return entries;
    }

    /** Room left for operations before the next {@link #submit}. */
    public int room() {
        int kernelHead = (int) RING_INDEX.getAcquire(sqRing, sqHead);
        return entries - (localTail - kernelHead);
    }

    /**
     * Queues {@code read(fd, address, length)} at file position {@code offset} ({@link #CURRENT_POSITION} for a
     * stream); false when the queue is full.
     */
    public boolean prepareRead(int fd, long address, int length, long offset, int rwFlags, long userData) {
        return prepare(IORING_OP_READ, (byte) 0, fd, address, length, offset, rwFlags, userData);
    }

    /** Queues {@code write(fd, address, length)}, like {@link #prepareRead}. */
    public boolean prepareWrite(int fd, long address, int length, long offset, int rwFlags, long userData) {
        return prepare(IORING_OP_WRITE, (byte) 0, fd, address, length, offset, rwFlags, userData);
    }

    /**
     * Queues {@code send(fd, address, length, msgFlags)}. With {@code linkNext} the next operation queued starts only
     * once this one has succeeded, and fails with {@code -ECANCELED} if it did not; for a stream socket a send that
     * moves fewer bytes than asked counts as a failure only with {@code MSG_WAITALL}, so a chain of sends that must not
     * leave a gap in the stream needs that flag.
     */
    public boolean prepareSend(int fd, long address, int length, int msgFlags, boolean linkNext, long userData) {
        return prepare(IORING_OP_SEND, linkNext ? IOSQE_IO_LINK : 0, fd, address, length, 0, msgFlags, userData);
    }

    /** {@code opFlags} is the operation's own flags word: rw_flags for a read or write, msg_flags for a send. */
    private boolean prepare(byte opcode, byte sqeFlags, int target, long address, int length, long offset,
            int opFlags, long userData) {
        if (room() == 0) {
            return false;
        }
        long sqe = SQE_SIZE * (localTail & sqMask);
        sqes.set(JAVA_BYTE, sqe + SQE_OPCODE, opcode);
        sqes.set(JAVA_BYTE, sqe + SQE_FLAGS, sqeFlags);
        sqes.set(JAVA_SHORT, sqe + SQE_IOPRIO, (short) 0);
        sqes.set(JAVA_INT, sqe + SQE_FD, target);
        sqes.set(JAVA_LONG, sqe + SQE_OFF, offset);
        sqes.set(JAVA_LONG, sqe + SQE_ADDR, address);
        sqes.set(JAVA_INT, sqe + SQE_LEN, length);
        sqes.set(JAVA_INT, sqe + SQE_OP_FLAGS, opFlags);
        sqes.set(JAVA_LONG, sqe + SQE_USER_DATA, userData);
        for (long word = SQE_TAIL_WORDS; word < SQE_SIZE; word += 8) {
            sqes.set(JAVA_LONG, sqe + word, 0L);
        }
        localTail++;
        queued++;
        return true;
    }

    /** Operations queued and not yet submitted. */
    public int queued() {
        return queued;
    }

    /**
     * Hands the queued operations to the kernel in one {@code io_uring_enter} and returns how many it took (all of
     * them, short of a failure). Never waits for completions. A signal's EINTR is retried.
     */
    public int submit() throws SyscallException {
        return enter(0, 0);
    }

    /** Like {@link #submit}, then waits until at least {@code minComplete} completions are ready to drain. */
    public int submitAndWait(int minComplete) throws SyscallException {
        return enter(minComplete, IORING_ENTER_GETEVENTS);
    }

    private int enter(int minComplete, int flags) throws SyscallException {
        if (queued == 0 && minComplete == 0) {
            return 0;
        }
        RING_INDEX.setRelease(sqRing, sqTail, localTail);
        MemorySegment cap = capture();
        try {
            while (true) {
                long rc = (long) SYSCALL_ENTER.invokeExact(cap, (long) SYS_IO_URING_ENTER, fd, queued, minComplete,
                        flags, MemorySegment.NULL, 0L);
                if (rc >= 0) {
                    queued -= (int) rc;
                    return (int) rc;
                }
                if (errno(cap) != Errno.EINTR) {
                    throw new SyscallException("io_uring_enter", errno(cap));
                }
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }

    /**
     * Hands every completion ready now to {@code handler}, oldest first, and frees their slots; returns how many.
     * Makes no system call.
     */
    public int drainCompletions(CompletionHandler handler) {
        int head = (int) RING_INDEX.getAcquire(cqRing, cqHead);
        int tail = (int) RING_INDEX.getAcquire(cqRing, cqTail);
        int drained = 0;
        while (head != tail) {
            long cqe = cqes + CQE_SIZE * (head & cqMask);
            long userData = cqRing.get(JAVA_LONG, cqe + CQE_USER_DATA);
            int result = cqRing.get(JAVA_INT, cqe + CQE_RES);
            head++;
            drained++;
            // Free the slot before the callback, which may queue and submit more.
            RING_INDEX.setRelease(cqRing, cqHead, head);
            handler.onCompletion(userData, result);
            tail = (int) RING_INDEX.getAcquire(cqRing, cqTail);
        }
        return drained;
    }

    @Override
    public void close() throws SyscallException {
        if (closed) {
            return;
        }
        closed = true;
        MemorySegment cap = capture();
        NativeRuntime.check("munmap", munmap(sqes, SQE_SIZE * entries), cap);
        if (cqRingSize != 0) {
            NativeRuntime.check("munmap", munmap(cqRing, cqRingSize), cap);
        }
        NativeRuntime.check("munmap", munmap(sqRing, sqRingSize), cap);
        Libc.close(fd);
    }
}
