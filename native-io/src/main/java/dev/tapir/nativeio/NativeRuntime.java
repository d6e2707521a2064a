package dev.tapir.nativeio;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The one linker and libc lookup of this module, and the errno capture every binding uses.
 *
 * <p>Each binding class holds its {@link MethodHandle}s in {@code static final} fields made here; a call passes the
 * calling thread's capture segment as its first argument, and reads errno from it only when the call failed.
 */
@SuppressWarnings("restricted")
final class NativeRuntime {
    static final Linker LINKER = Linker.nativeLinker();
    static final SymbolLookup LIBC = LINKER.defaultLookup();

    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    /** One capture segment per thread, allocated once and never freed (threads here are few and long-lived). */
    private static final ThreadLocal<MemorySegment> CAPTURE =
            ThreadLocal.withInitial(() -> Arena.global().allocate(CAPTURE_LAYOUT));

    private NativeRuntime() {
    }

    /** A downcall to a libc function that reports failure through errno. */
    static MethodHandle errnoCall(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(symbol(name), descriptor, CAPTURE_ERRNO);
    }

    /** Like {@link #errnoCall} for a variadic C function; {@code firstVariadic} counts C parameters from 0. */
    static MethodHandle variadicErrnoCall(String name, FunctionDescriptor descriptor, int firstVariadic) {
        return LINKER.downcallHandle(symbol(name), descriptor, CAPTURE_ERRNO,
                Linker.Option.firstVariadicArg(firstVariadic));
    }

    /** A downcall to a function that cannot fail. */
    static MethodHandle plainCall(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(symbol(name), descriptor);
    }

    private static MemorySegment symbol(String name) {
        return LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no symbol " + name));
    }

    /** The calling thread's capture segment, to pass as the first argument of an errno call. */
    static MemorySegment capture() {
        return CAPTURE.get();
    }

    static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    /** Turns a {@code -1} return into a {@link SyscallException}; passes any other value through. */
    static int check(String call, int rc, MemorySegment capture) throws SyscallException {
        if (rc == -1) {
            throw new SyscallException(call, errno(capture));
        }
        return rc;
    }

    static long check(String call, long rc, MemorySegment capture) throws SyscallException {
        if (rc == -1L) {
            throw new SyscallException(call, errno(capture));
        }
        return rc;
    }

    /**
     * After a read/write-like call returned -1: true when it would block ({@code EAGAIN}), false when a signal
     * interrupted it ({@code EINTR}, so the caller retries); any other errno is thrown as the call's failure.
     */
    static boolean wouldBlock(String call, MemorySegment capture) throws SyscallException {
        int err = errno(capture);
        if (err == Errno.EAGAIN) {
            return true;
        }
        if (err != Errno.EINTR) {
            throw new SyscallException(call, err);
        }
        return false;
    }

    /** Wraps a Throwable from {@code invokeExact} that cannot be a checked exception of the callee. */
    static AssertionError unexpected(Throwable t) {
        return new AssertionError("native call failed unexpectedly", t);
    }
}
