package dev.tapir.engine.stack.iface;

import dev.tapir.engine.stack.stats.LiveCounters;
import dev.tapir.engine.stack.stats.StackCounter;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The neighbour table (RFC 826): a bounded set of entries, each either resolved (a MAC that expires by the clock
 * passed in) or pending (requests sent at an interval, a bounded count of them, and a bounded queue of frames waiting
 * for the answer, kept off-heap). Plain arrays indexed by entry; the stack thread alone uses it.
 */
public final class ArpCache {
    /**
     * Sizes and times of the cache.
     *
     * @param entries how many neighbours it holds
     * @param lifetimeNanos how long a learned MAC stays valid
     * @param retryIntervalNanos time between requests for a pending entry
     * @param maxRequests requests sent before giving up on a neighbour (its queued frames are then dropped)
     * @param pendingFrames frames queued per pending neighbour
     */
    public record Settings(int entries, long lifetimeNanos, long retryIntervalNanos, int maxRequests,
            int pendingFrames) {
        public static final Settings DEFAULT = new Settings(64, 60_000_000_000L, 1_000_000_000L, 3, 16);

        public Settings {
            if (entries < 1 || lifetimeNanos <= 0 || retryIntervalNanos <= 0 || maxRequests < 1 || pendingFrames < 0) {
                throw new IllegalArgumentException("ARP cache settings must be positive: " + entries + " entries, "
                        + maxRequests + " requests, " + pendingFrames + " pending frames");
            }
        }
    }

    static final int FREE = 0;
    static final int PENDING = 1;
    static final int RESOLVED = 2;
    private static final int SLOT_LENGTH_OFFSET = 0;
    private static final int SLOT_FRAME_OFFSET = 8;

    private final Settings settings;
    private final LiveCounters<StackCounter> counters;
    private final int[] address;
    private final long[] mac;
    private final int[] state;
    /** Resolved: when the MAC expires. Pending: when the next request is due. */
    private final long[] deadline;
    /** Resolved: when the entry was learned (the oldest is evicted first). Pending: requests sent so far. */
    private final long[] learnedAtOrRequests;
    private final int[] pendingCount;
    private final int slotLength;
    private final MutableDirectBuffer pendingFrames;
    private int pendingEntries;
    private int lastHit;

    public ArpCache(Settings settings, int maxFrameLength, LiveCounters<StackCounter> counters) {
        this.settings = settings;
        this.counters = counters;
        int n = settings.entries();
        this.address = new int[n];
        this.mac = new long[n];
        this.state = new int[n];
        this.deadline = new long[n];
        this.learnedAtOrRequests = new long[n];
        this.pendingCount = new int[n];
        this.slotLength = SLOT_FRAME_OFFSET + ((maxFrameLength + 7) & ~7);
        int bytes = Math.max(8, n * settings.pendingFrames() * slotLength);
        this.pendingFrames = new UnsafeBuffer(BufferUtil.allocateDirectAligned(bytes, 64));
    }

    public Settings settings() {
        return settings;
    }

    /** Index of the entry for {@code ip} in any state, or -1. */
    public int find(int ip) {
        int hit = lastHit;
        if (state[hit] != FREE && address[hit] == ip) {
            return hit;
        }
        for (int i = 0; i < address.length; i++) {
            if (state[i] != FREE && address[i] == ip) {
                lastHit = i;
                return i;
            }
        }
        return -1;
    }

    /**
     * The MAC of {@code ip} if known and not expired at {@code now}, else
     * {@link dev.tapir.engine.stack.wire.MacAddress#UNRESOLVED}.
     */
    public long lookup(int ip, long now) {
        int i = find(ip);
        if (i >= 0 && state[i] == RESOLVED && deadline[i] - now > 0) {
            return mac[i];
        }
        return 0L;
    }

    public boolean isPending(int entry) {
        return state[entry] == PENDING;
    }

    public int stateOf(int entry) {
        return state[entry];
    }

    /**
     * Makes {@code ip} pending (new, or after its MAC expired) with one request counted as sent now; returns the entry.
     * When the table is full another neighbour is evicted (counted, with any frames it had queued).
     */
    public int startResolution(int ip, long now) {
        int i = find(ip);
        if (i < 0) {
            i = freeOrVictim();
        }
        if (state[i] != PENDING) {
            pendingCount[i] = 0;
            pendingEntries++;
        }
        address[i] = ip;
        mac[i] = 0L;
        state[i] = PENDING;
        deadline[i] = now + settings.retryIntervalNanos();
        learnedAtOrRequests[i] = 1;
        lastHit = i;
        return i;
    }

    /** A free entry, else the resolved entry learned longest ago, else the pending entry with most requests sent. */
    private int freeOrVictim() {
        int victim = -1;
        long oldest = Long.MAX_VALUE;
        for (int i = 0; i < state.length; i++) {
            if (state[i] == FREE) {
                return i;
            }
            if (state[i] == RESOLVED && (victim < 0 || state[victim] != RESOLVED || learnedAtOrRequests[i] < oldest)) {
                victim = i;
                oldest = learnedAtOrRequests[i];
            } else if (state[i] == PENDING && (victim < 0
                    || (state[victim] == PENDING && learnedAtOrRequests[i] > learnedAtOrRequests[victim]))) {
                victim = i;
            }
        }
        counters.increment(StackCounter.ARP_EVICTIONS);
        counters.add(StackCounter.ARP_UNRESOLVED_DROPPED, free(victim));
        return victim;
    }

    /**
     * Records that {@code ip} is at {@code hardware}: updates an existing entry, or creates one when {@code create}
     * (the packet was addressed to us, RFC 826's merge rule). Returns the entry, or -1 when none was touched.
     */
    public int learn(int ip, long hardware, long now, boolean create) {
        int i = find(ip);
        if (i < 0) {
            if (!create) {
                return -1;
            }
            i = freeOrVictim();
            address[i] = ip;
            pendingCount[i] = 0;
        } else if (state[i] == PENDING) {
            pendingEntries--;
        }
        mac[i] = hardware;
        state[i] = RESOLVED;
        deadline[i] = now + settings.lifetimeNanos();
        learnedAtOrRequests[i] = now;
        lastHit = i;
        return i;
    }

    /** Queues a frame (without its destination MAC, filled on resolution); false when the entry's queue is full. */
    public boolean enqueue(int entry, DirectBuffer frame, int offset, int length) {
        int count = pendingCount[entry];
        if (count == settings.pendingFrames() || SLOT_FRAME_OFFSET + length > slotLength) {
            return false;
        }
        int slot = slotOffset(entry, count);
        pendingFrames.putInt(slot + SLOT_LENGTH_OFFSET, length);
        pendingFrames.putBytes(slot + SLOT_FRAME_OFFSET, frame, offset, length);
        pendingCount[entry] = count + 1;
        return true;
    }

    public boolean pendingQueueFull(int entry) {
        return pendingCount[entry] == settings.pendingFrames();
    }

    public int pendingCount(int entry) {
        return pendingCount[entry];
    }

    public DirectBuffer pendingBuffer() {
        return pendingFrames;
    }

    public int pendingFrameOffset(int entry, int index) {
        return slotOffset(entry, index) + SLOT_FRAME_OFFSET;
    }

    public int pendingFrameLength(int entry, int index) {
        return pendingFrames.getInt(slotOffset(entry, index) + SLOT_LENGTH_OFFSET);
    }

    /** Forgets an entry's queued frames (they were sent or dropped). */
    public void clearPending(int entry) {
        pendingCount[entry] = 0;
    }

    private int slotOffset(int entry, int index) {
        return (entry * settings.pendingFrames() + index) * slotLength;
    }

    /** Number of pending entries; when 0 the stack skips the retry scan. */
    public int pendingEntries() {
        return pendingEntries;
    }

    public int capacity() {
        return state.length;
    }

    public int addressOf(int entry) {
        return address[entry];
    }

    public long macOf(int entry) {
        return mac[entry];
    }

    /** For a pending entry: true when a request is due at {@code now} (and counts it as sent). */
    public boolean requestDue(int entry, long now) {
        if (deadline[entry] - now > 0 || learnedAtOrRequests[entry] >= settings.maxRequests()) {
            return false;
        }
        deadline[entry] = now + settings.retryIntervalNanos();
        learnedAtOrRequests[entry]++;
        return true;
    }

    /** For a pending entry: true when every request went unanswered for a full interval. */
    public boolean givenUp(int entry, long now) {
        return learnedAtOrRequests[entry] >= settings.maxRequests() && deadline[entry] - now <= 0;
    }

    /** Frees an entry; returns how many queued frames went with it. */
    public int free(int entry) {
        int dropped = state[entry] == PENDING ? pendingCount[entry] : 0;
        if (state[entry] == PENDING) {
            pendingEntries--;
        }
        state[entry] = FREE;
        pendingCount[entry] = 0;
        return dropped;
    }
}
