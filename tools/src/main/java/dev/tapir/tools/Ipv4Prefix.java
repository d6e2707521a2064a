package dev.tapir.tools;

/** An IPv4 address with a prefix length, as written {@code a.b.c.d/n}; the address is big-endian in an int. */
public record Ipv4Prefix(int address, int prefixLength) {
    public Ipv4Prefix {
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("prefix length must be 0..32: " + prefixLength);
        }
    }

    /** Parses {@code a.b.c.d/n}; a user's typo gives an IllegalArgumentException with a one-line message. */
    public static Ipv4Prefix parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("expected ADDRESS/PREFIX such as 192.168.122.1/24, got '" + text + "'");
        }
        String[] octets = text.substring(0, slash).split("\\.", -1);
        if (octets.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: '" + text.substring(0, slash) + "'");
        }
        int address = 0;
        for (String octet : octets) {
            int value = number(octet, 255, text);
            address = (address << 8) | value;
        }
        return new Ipv4Prefix(address, number(text.substring(slash + 1), 32, text));
    }

    private static int number(String digits, int max, String whole) {
        if (digits.isEmpty() || digits.length() > 3 || !digits.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("not an IPv4 prefix: '" + whole + "'");
        }
        int value = Integer.parseInt(digits);
        if (value > max) {
            throw new IllegalArgumentException("not an IPv4 prefix: '" + whole + "'");
        }
        return value;
    }

    @Override
    public String toString() {
        return (address >>> 24) + "." + ((address >>> 16) & 0xff) + "." + ((address >>> 8) & 0xff) + "."
                + (address & 0xff) + "/" + prefixLength;
    }
}
