package dev.tapir.cli;

import dev.tapir.engine.transport.kernel.KernelTransport;
import dev.tapir.nativeio.Errno;
import dev.tapir.nativeio.SyscallException;
import java.net.UnknownHostException;

/** Turns a failure into the one line a user reads: what went wrong, in words, with the errno name for the curious. */
final class UserMessages {
    private UserMessages() {
    }

    static String describe(Throwable failure) {
        Throwable e = failure;
        while (e.getCause() != null && !(e instanceof SyscallException) && !(e instanceof UserError)
                && !(e instanceof UnknownHostException)) {
            e = e.getCause();
        }
        if (e instanceof UserError || e instanceof IllegalArgumentException) {
            return e.getMessage();
        }
        if (e instanceof UnknownHostException) {
            return "unknown host " + e.getMessage();
        }
        if (e instanceof SyscallException s) {
            if (KernelTransport.CONGESTION_CALL.equals(s.call()) && s.errno() == Errno.ENOENT) {
                return "this host has no such TCP congestion control algorithm (-C; see "
                        + "/proc/sys/net/ipv4/tcp_available_congestion_control) [" + s.call() + ": ENOENT]";
            }
            String what = switch (s.errno()) {
                case Errno.ECONNREFUSED -> "connection refused (is a server running there?)";
                case Errno.EADDRINUSE -> "address already in use (another server on that port?)";
                case Errno.ETIMEDOUT -> "timed out";
                case Errno.EACCES, Errno.EPERM -> "permission denied (this needs root or CAP_NET_ADMIN)";
                case Errno.ENETUNREACH, Errno.EHOSTUNREACH -> "no route to the host";
                case Errno.EADDRNOTAVAIL -> "address not available on this host";
                case Errno.ECONNRESET -> "connection reset by the peer";
                default -> Errno.describe(s.errno());
            };
            return what + " [" + s.call() + ": " + s.errnoName() + "]";
        }
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message;
    }
}
