package dev.tapir.nativeio;

import java.lang.foreign.MemorySegment;

/**
 * The process's whole address space as one native segment, for code above this module that holds raw addresses
 * (Agrona buffers over off-heap memory) and wants {@link MemorySegment} access to them: C2 vectorizes a counted loop
 * of MemorySegment reads, not the same loop over {@code Unsafe} reads. The segment checks no bounds of its own; its
 * users check theirs before they read.
 */
@SuppressWarnings("restricted")
public final class AddressSpace {
    /** Offset = address: {@code ALL.get(layout, address)} reads the memory at {@code address}. */
    public static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private AddressSpace() {
    }
}
