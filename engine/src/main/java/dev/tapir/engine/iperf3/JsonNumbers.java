package dev.tapir.engine.iperf3;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigInteger;

/**
 * Reading numbers from iperf3's JSON. iperf3 prints (uint64)-1 = 18446744073709551615 for "not available" (for
 * example {@code retransmits} from a receiver); that does not fit a long, so integers are read as BigInteger first.
 */
final class JsonNumbers {
    /** (uint64)-1, what iperf3 prints for -1 in an integral field. */
    static final BigInteger UNSIGNED_MINUS_ONE = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
    private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

    private JsonNumbers() {
    }

    /**
     * A non-negative count, or -1 when the field is absent, is iperf3's "not available" (negative, or anything above
     * Long.MAX_VALUE such as 18446744073709551615), or is not a number.
     */
    static long countOrUnknown(JsonNode node) {
        if (node == null || !node.isNumber()) {
            return -1;
        }
        BigInteger value = node.isIntegralNumber() ? node.bigIntegerValue() : wholePart(node.doubleValue());
        if (value == null || value.signum() < 0 || value.compareTo(LONG_MAX) > 0) {
            return -1;
        }
        return value.longValue();
    }

    /** A required non-negative integer parameter within {@code [0, max]}; {@code fallback} when absent. */
    static long parameter(JsonNode parent, String key, long fallback, long max) throws Iperf3ProtocolException {
        JsonNode node = parent.get(key);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (node.isBoolean()) {
            return node.booleanValue() ? 1 : 0;
        }
        if (!node.isNumber()) {
            throw new Iperf3ProtocolException("parameter \"" + key + "\" is not a number: " + node);
        }
        BigInteger value = node.isIntegralNumber() ? node.bigIntegerValue() : wholePart(node.doubleValue());
        if (value == null || value.signum() < 0 || value.compareTo(BigInteger.valueOf(max)) > 0) {
            throw new Iperf3ProtocolException("parameter \"" + key + "\" = " + node + " is out of range (0.." + max + ")");
        }
        return value.longValue();
    }

    /** A double field, 0 when absent or not a number. */
    static double decimal(JsonNode node) {
        return node != null && node.isNumber() ? node.doubleValue() : 0.0;
    }

    private static BigInteger wholePart(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return null;
        }
        return new java.math.BigDecimal(value).toBigInteger();
    }
}
