package dev.tapir.engine.iperf2;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Field layouts shared by the iperf 2 flyweights: every integer on the wire is big-endian and may sit unaligned. */
final class Wire {
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** iperf 2.1.8's version words: major/minor in version_u, patch/kind in version_l (kind 3 = final). */
    static final int VERSION_UPPER = 0x0002_0001;
    static final int VERSION_LOWER = 0x0008_0003;

    private Wire() {
    }
}
