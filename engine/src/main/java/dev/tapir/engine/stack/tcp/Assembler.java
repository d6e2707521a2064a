package dev.tapir.engine.stack.tcp;

/**
 * A bounded, sorted set of disjoint byte ranges {@code [start, end)} of a stream, merged as they are added. The
 * receive side keeps the out-of-order data that already sits in the receive ring's free space here; the send side's
 * {@link SackScoreboard} keeps the ranges the peer has SACKed. Two fixed arrays, no allocation after construction.
 */
public final class Assembler {
    private final long[] starts;
    private final long[] ends;
    private int count;
    /** Start of the range most recently added to or grown (RFC 2018 §4: the first SACK block reports it). */
    private long latestStart = -1;

    public Assembler(int maxRanges) {
        this.starts = new long[maxRanges];
        this.ends = new long[maxRanges];
    }

    public int count() {
        return count;
    }

    public boolean isEmpty() {
        return count == 0;
    }

    public long start(int i) {
        return starts[i];
    }

    public long end(int i) {
        return ends[i];
    }

    /** Start of the most recently changed range, or -1. */
    public long latestStart() {
        return latestStart;
    }

    public void clear() {
        count = 0;
        latestStart = -1;
    }

    /**
     * Adds {@code [start, end)}, merging it with every range it touches or overlaps. Returns false, changing nothing,
     * when it would need a range beyond the bound.
     */
    public boolean add(long start, long end) {
        if (end <= start) {
            return true;
        }
        // First range whose end reaches start: everything before it lies wholly left of the new range.
        int first = 0;
        while (first < count && ends[first] < start) {
            first++;
        }
        int last = first;
        while (last < count && starts[last] <= end) {
            last++;
        }
        // Ranges [first, last) touch the new one and merge into a single range.
        if (first == last) {
            if (count == starts.length) {
                return false;
            }
            System.arraycopy(starts, first, starts, first + 1, count - first);
            System.arraycopy(ends, first, ends, first + 1, count - first);
            starts[first] = start;
            ends[first] = end;
            count++;
        } else {
            long mergedStart = Math.min(start, starts[first]);
            long mergedEnd = Math.max(end, ends[last - 1]);
            starts[first] = mergedStart;
            ends[first] = mergedEnd;
            int removed = last - first - 1;
            if (removed > 0) {
                System.arraycopy(starts, last, starts, first + 1, count - last);
                System.arraycopy(ends, last, ends, first + 1, count - last);
                count -= removed;
            }
        }
        latestStart = starts[first];
        return true;
    }

    /**
     * If the first range starts at or before {@code position}, removes it and returns the larger of its end and
     * {@code position}; otherwise returns {@code position}. The receive side calls it after in-order data arrives.
     */
    public long advance(long position) {
        if (count > 0 && starts[0] <= position) {
            long end = Math.max(ends[0], position);
            removeFirst();
            return end;
        }
        return position;
    }

    /** Forgets everything below {@code position}, cutting a range that straddles it. */
    public void trimBelow(long position) {
        while (count > 0 && ends[0] <= position) {
            removeFirst();
        }
        if (count > 0 && starts[0] < position) {
            starts[0] = position;
        }
    }

    /** Total bytes in all ranges. */
    public long totalBytes() {
        long sum = 0;
        for (int i = 0; i < count; i++) {
            sum += ends[i] - starts[i];
        }
        return sum;
    }

    /** Index of the first range ending after {@code position}, or {@link #count()} if none. */
    public int firstEndingAfter(long position) {
        int i = 0;
        while (i < count && ends[i] <= position) {
            i++;
        }
        return i;
    }

    /** The highest end of all ranges, or -1 when empty. */
    public long highestEnd() {
        return count == 0 ? -1 : ends[count - 1];
    }

    private void removeFirst() {
        if (starts[0] == latestStart) {
            latestStart = -1;
        }
        System.arraycopy(starts, 1, starts, 0, count - 1);
        System.arraycopy(ends, 1, ends, 0, count - 1);
        count--;
    }
}
