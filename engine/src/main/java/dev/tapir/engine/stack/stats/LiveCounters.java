package dev.tapir.engine.stack.stats;

import java.util.EnumMap;
import java.util.Map;
import org.agrona.BufferUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One off-heap long per enum constant, written by a single thread (the stack's) and readable from any thread while it
 * runs: the writer publishes with release stores, readers load with acquire semantics. No lock, no allocation.
 */
public final class LiveCounters<E extends Enum<E>> {
    /** Each counter on its own cache line, so a reader polling one does not slow the writer of its neighbours. */
    private static final int STRIDE = 64;

    private final E[] constants;
    private final AtomicBuffer values;

    public LiveCounters(Class<E> type) {
        this.constants = type.getEnumConstants();
        this.values = new UnsafeBuffer(BufferUtil.allocateDirectAligned(constants.length * STRIDE, STRIDE));
    }

    /** Single writer only. */
    public void increment(E counter) {
        int index = counter.ordinal() * STRIDE;
        values.putLongRelease(index, values.getLong(index) + 1);
    }

    /** Single writer only. */
    public void add(E counter, long delta) {
        int index = counter.ordinal() * STRIDE;
        values.putLongRelease(index, values.getLong(index) + delta);
    }

    /** Any thread. */
    public long get(E counter) {
        return values.getLongVolatile(counter.ordinal() * STRIDE);
    }

    /** Any thread; allocates (for reports). */
    public Map<E, Long> snapshot() {
        Map<E, Long> copy = new EnumMap<>(constants[0].getDeclaringClass());
        for (E constant : constants) {
            copy.put(constant, get(constant));
        }
        return copy;
    }

    /** The non-zero counters as {@code NAME=value} pairs, for reports and failure messages. */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        for (E constant : constants) {
            long value = get(constant);
            if (value != 0) {
                text.append(text.isEmpty() ? "" : " ").append(constant.name()).append('=').append(value);
            }
        }
        return text.toString();
    }
}
