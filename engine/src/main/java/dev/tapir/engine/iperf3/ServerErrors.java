package dev.tapir.engine.iperf3;

import dev.tapir.nativeio.Errno;

/**
 * What an iperf3 3.12 server's SERVER_ERROR codes (its {@code i_errno}, from iperf_api.h) mean, for the one line a
 * client prints: a user who asked for {@code -M 10} or {@code -w 1G} should read why the server refused, not a number.
 */
final class ServerErrors {
    private ServerErrors() {
    }

    /** One line for SERVER_ERROR with iperf3's {@code iperfErrno} and the system {@code errno} behind it (0: none). */
    static String describe(int iperfErrno, int errno) {
        String what = switch (iperfErrno) {
            case 100 -> "could not create a new test";
            case 101 -> "test initialization failed";
            case 104 -> "could not accept the data connection";
            case 112 -> "could not read a control message";
            case 114 -> "could not take the test parameters";
            case 117 -> "could not read the client's results";
            case 122 -> "could not set TCP_NODELAY (-N)";
            case 123 -> "could not set the TCP MSS (-M)";
            case 124 -> "could not set the socket buffer size (-w)";
            case 125 -> "could not set the IP TOS (-S)";
            case 127 -> "could not set the IPv6 flow label (-L)";
            case 130 -> "could not set the socket window size (-w)";
            case 132 -> "could not set the CPU affinity (-A)";
            case 134 -> "could not set the TCP congestion control algorithm (-C)";
            case 140 -> "could not set the socket pacing rate (--fq-rate)";
            case 141 -> "the socket buffer size (-w) was not set as asked (above the host's maximum?)";
            case 142 -> "the test was not authorized";
            case 145 -> "could not set IPv4 don't-fragment (--dont-fragment)";
            default -> null;
        };
        String code = "iperf3 error " + iperfErrno;
        // iperf3 sends errno for every error; it only means something for the calls that set it
        String cause = errno != 0 && what != null && iperfErrno != 141 && iperfErrno != 142
                ? ": " + Errno.describe(errno) + " [" + Errno.name(errno) + "]" : "";
        return "the server reported an error: " + (what != null ? what + cause + " (" + code + ")"
                : code + (errno != 0 ? ", errno " + errno + " [" + Errno.name(errno) + "]" : ""));
    }
}
