package dev.tapir.engine.report;

import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * An address as iperf prints it (inet_ntop): IPv4 dotted, IPv6 in RFC 5952's short form ({@code ::1}, not Java's
 * {@code 0:0:0:0:0:0:0:1}), so reports and JSON read the same as iperf3's for the same peer.
 */
public final class AddressText {
    private AddressText() {
    }

    public static String of(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return address.getHostAddress();
        }
        byte[] bytes = address.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = (bytes[2 * i] & 0xFF) << 8 | (bytes[2 * i + 1] & 0xFF);
        }
        // the first longest run of two or more zero groups becomes "::"
        int gapStart = -1;
        int gapLength = 0;
        for (int i = 0; i < 8;) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i >= 2 && j - i > gapLength) {
                gapStart = i;
                gapLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == gapStart) {
                text.append("::");
                i += gapLength - 1;
                continue;
            }
            if (i > 0 && i != gapStart + gapLength) {
                text.append(':');
            }
            text.append(Integer.toHexString(groups[i]));
        }
        String full = address.getHostAddress();
        int scope = full.indexOf('%');
        return scope < 0 ? text.toString() : text + full.substring(scope);
    }
}
