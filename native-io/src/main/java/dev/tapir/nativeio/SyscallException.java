package dev.tapir.nativeio;

import java.io.IOException;

/** A failed system call: the call's name, the errno it left and that errno's symbolic name. */
public final class SyscallException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;

    public SyscallException(String call, int errno) {
        super(call + ": " + Errno.name(errno) + " (" + Errno.describe(errno) + ")");
        this.call = call;
        this.errno = errno;
    }

    /** The libc function that failed, e.g. {@code "connect"}. */
    public String call() {
        return call;
    }

    public int errno() {
        return errno;
    }

    /** The symbolic name, e.g. {@code "ECONNREFUSED"}. */
    public String errnoName() {
        return Errno.name(errno);
    }
}
