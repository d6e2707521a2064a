package dev.tapir.engine.stack.wire;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/** A 48-bit Ethernet address held in the low bits of a long, so that it is compared and copied without arrays. */
public final class MacAddress {
    public static final int LENGTH = 6;
    public static final long BROADCAST = 0xffff_ffff_ffffL;
    /** Never a real destination: marks a frame whose next hop is not yet resolved. */
    public static final long UNRESOLVED = 0L;

    private MacAddress() {
    }

    public static long get(DirectBuffer buffer, int index) {
        return ((long) (buffer.getShort(index, ByteOrder.BIG_ENDIAN) & 0xffff) << 32)
                | (buffer.getInt(index + 2, ByteOrder.BIG_ENDIAN) & 0xffff_ffffL);
    }

    public static void put(MutableDirectBuffer buffer, int index, long mac) {
        buffer.putShort(index, (short) (mac >>> 32), ByteOrder.BIG_ENDIAN);
        buffer.putInt(index + 2, (int) mac, ByteOrder.BIG_ENDIAN);
    }

    /** Group (multicast or broadcast) addresses have the low bit of the first octet set. */
    public static boolean isGroup(long mac) {
        return (mac & 0x0100_0000_0000L) != 0;
    }

    /** Parses {@code aa:bb:cc:dd:ee:ff}; for configuration, not for the frame path. */
    public static long parse(String text) {
        String[] parts = text.split(":");
        if (parts.length != LENGTH) {
            throw new IllegalArgumentException("not a MAC address (want aa:bb:cc:dd:ee:ff): " + text);
        }
        long mac = 0;
        for (String part : parts) {
            if (part.length() != 2) {
                throw new IllegalArgumentException("not a MAC address (want aa:bb:cc:dd:ee:ff): " + text);
            }
            try {
                mac = (mac << 8) | Integer.parseInt(part, 16);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a MAC address (want aa:bb:cc:dd:ee:ff): " + text, e);
            }
        }
        return mac;
    }

    public static String format(long mac) {
        StringBuilder text = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8) {
            int octet = (int) (mac >>> shift) & 0xff;
            text.append(Character.forDigit(octet >>> 4, 16)).append(Character.forDigit(octet & 0xf, 16));
            if (shift > 0) {
                text.append(':');
            }
        }
        return text.toString();
    }
}
