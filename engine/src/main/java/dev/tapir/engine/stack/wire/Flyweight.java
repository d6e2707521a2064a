package dev.tapir.engine.stack.wire;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * What every header flyweight holds: the buffer it is wrapped over (the same buffer as mutable when wrapped for
 * writing, else null), the offset of its first byte and the length it covers. A subclass checks received bytes in its
 * own {@code wrap} and then calls {@link #wrapRead}; {@link #wrapForWrite} returns the subclass for its fluent setters.
 *
 * <p>No cost on the per-frame path: every method here is final and every subclass is final, so the JIT calls them
 * directly and inlines them; the fields are plain fields of the one object.
 *
 * @param <T> the subclass
 */
public abstract class Flyweight<T extends Flyweight<T>> {
    protected DirectBuffer buffer;
    protected MutableDirectBuffer mutableBuffer;
    protected int offset;
    protected int length;

    /** Points the view at received bytes, read-only; the subclass has checked that they can hold its header. */
    protected final void wrapRead(DirectBuffer buffer, int offset, int length) {
        this.buffer = buffer;
        this.mutableBuffer = null;
        this.offset = offset;
        this.length = length;
    }

    /** Wraps {@code length} bytes of room at {@code offset} (claimed by the caller) for a header being built. */
    public final T wrapForWrite(MutableDirectBuffer buffer, int offset, int length) {
        this.buffer = buffer;
        this.mutableBuffer = buffer;
        this.offset = offset;
        this.length = length;
        return self();
    }

    @SuppressWarnings("unchecked")
    private T self() {
        return (T) this;
    }

    public final DirectBuffer buffer() {
        return buffer;
    }

    /** Offset of the header's first byte in {@link #buffer()}. */
    public final int offset() {
        return offset;
    }

    /** Bytes the view covers: the header and what follows it. */
    public final int length() {
        return length;
    }
}
