package dev.tapir.engine.iperf3;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * The 37-byte test cookie: 36 characters from {@code [a-z2-7]} and a NUL. The client sends it first on the control
 * connection and on every TCP data connection, so the server can tell which test a connection belongs to.
 */
public final class Cookie {
    public static final int SIZE = 37;
    private static final byte[] ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] bytes;

    private Cookie(byte[] bytes) {
        this.bytes = bytes;
    }

    public static Cookie random() {
        byte[] bytes = new byte[SIZE];
        for (int i = 0; i < SIZE - 1; i++) {
            bytes[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        }
        return new Cookie(bytes);
    }

    /** The cookie in {@code wire[0..37)}, or null when those bytes are not a well-formed cookie. */
    public static Cookie parse(byte[] wire) {
        if (wire.length != SIZE || wire[SIZE - 1] != 0) {
            return null;
        }
        for (int i = 0; i < SIZE - 1; i++) {
            byte b = wire[i];
            if (!((b >= 'a' && b <= 'z') || (b >= '2' && b <= '7'))) {
                return null;
            }
        }
        return new Cookie(wire.clone());
    }

    /** The 37 bytes to put on the wire (a copy). */
    public byte[] wire() {
        return bytes.clone();
    }

    /** The 36 characters, as iperf3's {@code -J} output shows them. */
    public String text() {
        return new String(bytes, 0, SIZE - 1, StandardCharsets.US_ASCII);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cookie c && Arrays.equals(bytes, c.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return text();
    }
}
