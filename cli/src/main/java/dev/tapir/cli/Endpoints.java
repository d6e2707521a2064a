package dev.tapir.cli;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/** Host names and ports from the command line, resolved once with the user's -4/-6 preference. */
final class Endpoints {
    private Endpoints() {
    }

    static InetSocketAddress resolve(String host, int port, boolean ipv4, boolean ipv6) throws UnknownHostException {
        if (port < 1 || port > 65535) {
            throw new UserError("port must be between 1 and 65535, got " + port);
        }
        for (InetAddress address : InetAddress.getAllByName(host)) {
            if ((!ipv4 || address instanceof Inet4Address) && (!ipv6 || address instanceof Inet6Address)) {
                return new InetSocketAddress(address, port);
            }
        }
        throw new UserError("host " + host + " has no " + (ipv4 ? "IPv4" : "IPv6") + " address");
    }

    static InetSocketAddress bind(String address, int port, boolean ipv6) throws UnknownHostException {
        if (port < 0 || port > 65535) {
            throw new UserError("port must be between 0 and 65535, got " + port);
        }
        if (address != null) {
            return new InetSocketAddress(InetAddress.getByName(address), port);
        }
        return new InetSocketAddress(InetAddress.getByName(ipv6 ? "::" : "0.0.0.0"), port);
    }
}
