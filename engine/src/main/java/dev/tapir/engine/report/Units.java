package dev.tapir.engine.report;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Numbers as people type them and as iperf prints them, in one place.
 *
 * <p>Input: sizes ({@code -n -l -w}) take K/M/G/T as powers of 1024, rates ({@code -b}) as powers of 1000, both
 * case-insensitive, with fractions allowed ({@code 1.5M}). Output: byte counts in 1024-based units and rates in
 * 1000-based units, always in four places ({@code 9.42}, {@code 19.5}, {@code  942}), as iperf3 prints them; and C's
 * {@code %f}/{@code %g} conversions, which Java's formatter does not reproduce (C rounds the exact binary value
 * half-to-even and {@code %g} drops trailing zeros).
 */
public final class Units {
    private static final String[] BYTE_LABELS = {"Bytes", "KBytes", "MBytes", "GBytes", "TBytes"};
    private static final String[] BIT_LABELS = {"bits/sec", "Kbits/sec", "Mbits/sec", "Gbits/sec", "Tbits/sec"};

    private Units() {
    }

    /** Parses a size: a number with an optional K, M, G or T suffix meaning 1024, 1024², 1024³, 1024⁴. */
    public static long parseSize(String text) {
        return parse(text, 1024, "size");
    }

    /** Parses a rate in bits per second: a number with an optional K, M, G or T suffix meaning powers of 1000. */
    public static long parseRate(String text) {
        return parse(text, 1000, "rate");
    }

    private static long parse(String text, long base, String what) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty " + what + ": expected a number with an optional K, M, G or T suffix");
        }
        String t = text.strip();
        long multiplier = 1;
        char last = Character.toUpperCase(t.charAt(t.length() - 1));
        int power = switch (last) {
            case 'K' -> 1;
            case 'M' -> 2;
            case 'G' -> 3;
            case 'T' -> 4;
            default -> 0;
        };
        if (power > 0) {
            t = t.substring(0, t.length() - 1);
            for (int i = 0; i < power; i++) {
                multiplier *= base;
            }
        }
        BigDecimal number;
        try {
            if (t.isEmpty() || !t.matches("[0-9]*\\.?[0-9]*")) {
                throw new NumberFormatException();
            }
            number = new BigDecimal(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid " + what + " '" + text
                    + "': expected a number with an optional K, M, G or T suffix, like 100, 1.5M or 64K");
        }
        BigDecimal value = number.multiply(BigDecimal.valueOf(multiplier)).setScale(0, RoundingMode.HALF_UP);
        if (value.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("invalid " + what + " '" + text + "': too large");
        }
        return value.longValueExact();
    }

    /** A byte count as iperf3 prints it, 1024-based: {@code "1.10 GBytes"}, {@code " 128 KBytes"}. */
    public static String formatBytes(double bytes) {
        return adaptive(bytes, 1024.0, BYTE_LABELS);
    }

    /** A rate as iperf3 prints it, 1000-based: {@code "9.42 Gbits/sec"}, {@code "10.5 Mbits/sec"}. */
    public static String formatBitsPerSecond(double bitsPerSecond) {
        return adaptive(bitsPerSecond, 1000.0, BIT_LABELS);
    }

    private static String adaptive(double value, double base, String[] labels) {
        int unit = 0;
        double scaled = value;
        while (scaled >= base && unit < labels.length - 1) {
            scaled /= base;
            unit++;
        }
        // Four places: #.## below 9.995 (which would round to 10.00), ##.# below 99.95, ### (or ####) above.
        int decimals = scaled < 9.995 ? 2 : scaled < 99.95 ? 1 : 0;
        return pad(fixed(scaled, decimals), 4) + " " + labels[unit];
    }

    /** C's {@code %.Nf}: the exact binary value rounded half-to-even to {@code decimals} places. */
    public static String fixed(double value, int decimals) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return Double.isNaN(value) ? "nan" : value > 0 ? "inf" : "-inf";
        }
        boolean negative = value < 0 || (value == 0 && 1 / value < 0);
        String digits = new BigDecimal(Math.abs(value)).setScale(decimals, RoundingMode.HALF_EVEN).toPlainString();
        return negative ? "-" + digits : digits;
    }

    /** C's {@code %.Pg}: {@code precision} significant digits, trailing zeros dropped, exponent form when needed. */
    public static String general(double value, int precision) {
        int p = precision == 0 ? 1 : precision;
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return fixed(value, 0);
        }
        boolean negative = value < 0 || (value == 0 && 1 / value < 0);
        String sign = negative ? "-" : "";
        if (value == 0) {
            return sign + "0";
        }
        BigDecimal rounded = new BigDecimal(Math.abs(value)).round(new MathContext(p, RoundingMode.HALF_EVEN));
        int exponent = rounded.precision() - rounded.scale() - 1;
        String body;
        if (exponent < p && exponent >= -4) {
            body = stripZeros(rounded.setScale(Math.max(0, p - 1 - exponent), RoundingMode.HALF_EVEN).toPlainString());
        } else {
            BigDecimal mantissa = rounded.movePointLeft(exponent).setScale(p - 1, RoundingMode.HALF_EVEN);
            String e = String.valueOf(Math.abs(exponent));
            body = stripZeros(mantissa.toPlainString()) + (exponent < 0 ? "e-" : "e+") + (e.length() < 2 ? "0" + e : e);
        }
        return sign + body;
    }

    private static String stripZeros(String s) {
        if (s.indexOf('.') < 0) {
            return s;
        }
        int end = s.length();
        while (s.charAt(end - 1) == '0') {
            end--;
        }
        if (s.charAt(end - 1) == '.') {
            end--;
        }
        return s.substring(0, end);
    }

    /** Right-aligns {@code s} in {@code width} characters (C's {@code %Ns}). */
    public static String pad(String s, int width) {
        return s.length() >= width ? s : " ".repeat(width - s.length()) + s;
    }

    /** Left-aligns {@code s} in {@code width} characters (C's {@code %-Ns}). */
    public static String padRight(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }
}
