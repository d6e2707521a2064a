package dev.tapir.engine.stack.phy;

import dev.tapir.engine.stack.stats.LiveCounters;
import java.util.SplittableRandom;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Wraps any device and spoils the frames it receives: loss, duplication, reordering, corruption, delay and a rate
 * limit, each decided by a seeded generator so that the same seed over the same frames gives the same faults. Sends
 * pass through untouched (wrap the other end of a link to spoil that direction). Frames it must keep (held for
 * reordering, delayed) are copied into its own off-heap slots; nothing is allocated per frame.
 *
 * <p>Faults apply per frame as the inner device hands it over: a super-frame (GRO, a peer's TSO frame) is lost,
 * delayed or duplicated whole, as one frame. A corrupted frame loses its checksum flags, so the stack checks (and
 * drops) it instead of trusting a checksum the corruption invalidated. Offloads pass through.
 */
public final class FaultInjector extends ForwardingDevice {
    /**
     * What to inject. Percentages are 0..100 per received frame.
     *
     * @param seed seed of the generator that decides every fault
     * @param lossPercent frames dropped
     * @param duplicatePercent frames delivered twice
     * @param reorderPercent frames held back and delivered after the next frame (or at the next empty receive)
     * @param corruptPercent frames with one random byte flipped
     * @param delayNanos every frame delivered this much later (0 = none), by the receive call's clock
     * @param rateBytesPerSecond token bucket rate; frames beyond it are dropped (0 = unlimited)
     * @param burstBytes token bucket depth (0 = 64 KiB); never less than the largest frame the device hands over
     */
    public record Options(long seed, double lossPercent, double duplicatePercent, double reorderPercent,
            double corruptPercent, long delayNanos, long rateBytesPerSecond, int burstBytes) {
        public Options {
            checkPercent("loss", lossPercent);
            checkPercent("duplicate", duplicatePercent);
            checkPercent("reorder", reorderPercent);
            checkPercent("corrupt", corruptPercent);
            if (delayNanos < 0 || rateBytesPerSecond < 0 || burstBytes < 0) {
                throw new IllegalArgumentException("fault delay, rate and burst must not be negative");
            }
        }

        /** No faults at all, a starting point for the withers. */
        public static Options none(long seed) {
            return new Options(seed, 0, 0, 0, 0, 0, 0, 0);
        }

        public Options withLoss(double percent) {
            return withPercents(percent, duplicatePercent, reorderPercent, corruptPercent);
        }

        public Options withDuplicate(double percent) {
            return withPercents(lossPercent, percent, reorderPercent, corruptPercent);
        }

        public Options withReorder(double percent) {
            return withPercents(lossPercent, duplicatePercent, percent, corruptPercent);
        }

        public Options withCorrupt(double percent) {
            return withPercents(lossPercent, duplicatePercent, reorderPercent, percent);
        }

        public Options withDelay(long nanos) {
            return new Options(seed, lossPercent, duplicatePercent, reorderPercent, corruptPercent, nanos,
                    rateBytesPerSecond, burstBytes);
        }

        public Options withRate(long bytesPerSecond, int burst) {
            return new Options(seed, lossPercent, duplicatePercent, reorderPercent, corruptPercent, delayNanos,
                    bytesPerSecond, burst);
        }

        /** These options with the four per-frame fault percentages replaced (the one wither behind the four). */
        private Options withPercents(double loss, double duplicate, double reorder, double corrupt) {
            return new Options(seed, loss, duplicate, reorder, corrupt, delayNanos, rateBytesPerSecond, burstBytes);
        }

        private static void checkPercent(String name, double value) {
            if (!(value >= 0 && value <= 100)) {
                throw new IllegalArgumentException(name + " percentage must be within 0..100, not " + value);
            }
        }
    }

    /** What the injector did, one counter each. */
    public enum Fault {
        RECEIVED, DELIVERED, LOST, DUPLICATED, REORDERED, CORRUPTED, DELAYED, DELAY_OVERFLOW, RATE_LIMITED
    }

    /** Frames the delay line holds at most; beyond it frames are dropped and counted as DELAY_OVERFLOW. */
    public static final int DEFAULT_DELAY_SLOTS = 4096;
    /** Memory the default delay line may take: fewer slots when the device hands over super-frames. */
    private static final int DEFAULT_DELAY_LINE_BYTES = 32 << 20;
    private static final int PER_MILLION = 1_000_000;

    private final SplittableRandom random;
    private final int lossPpm;
    private final int duplicatePpm;
    private final int reorderPpm;
    private final int corruptPpm;
    private final long delayNanos;
    private final long rateBytesPerSecond;
    private final long burstBytes;
    private final LiveCounters<Fault> counters = new LiveCounters<>(Fault.class);

    private final int slotLength;
    /** Slot 0 holds a corrupted copy, slot 1 the frame held back for reordering, slots 2.. the delay line. */
    private final MutableDirectBuffer slots;
    private final int delaySlots;
    private final long[] delayReleaseAt;
    private final int[] delayLength;
    private final int[] delayFlags;
    private int delayHead;
    private int delayCount;
    private int heldLength = -1;
    private int heldFlags;

    private long tokens;
    private long tokensUpdatedAt;
    private boolean tokensStarted;

    private final FrameHandler onInnerFrame = this::onInnerFrame;
    private FrameHandler downstream;
    private long now;
    private int delivered;

    public FaultInjector(Device inner, Options options) {
        this(inner, options, Math.max(1, Math.min(DEFAULT_DELAY_SLOTS,
                DEFAULT_DELAY_LINE_BYTES / inner.offloads().maxReceiveFrame())));
    }

    public FaultInjector(Device inner, Options options, int delaySlots) {
        super(inner);
        this.random = new SplittableRandom(options.seed());
        this.lossPpm = ppm(options.lossPercent());
        this.duplicatePpm = ppm(options.duplicatePercent());
        this.reorderPpm = ppm(options.reorderPercent());
        this.corruptPpm = ppm(options.corruptPercent());
        this.delayNanos = options.delayNanos();
        this.rateBytesPerSecond = options.rateBytesPerSecond();
        this.slotLength = inner.offloads().maxReceiveFrame();
        this.burstBytes = Math.max(slotLength, options.burstBytes() == 0 ? 64 * 1024 : options.burstBytes());
        this.delaySlots = delayNanos > 0 ? delaySlots : 0;
        this.slots = new UnsafeBuffer(BufferUtil.allocateDirectAligned((2 + this.delaySlots) * slotLength, 64));
        this.delayReleaseAt = new long[this.delaySlots];
        this.delayLength = new int[this.delaySlots];
        this.delayFlags = new int[this.delaySlots];
    }

    private static int ppm(double percent) {
        return (int) Math.round(percent * (PER_MILLION / 100));
    }

    public LiveCounters<Fault> counters() {
        return counters;
    }

    @Override
    public int receive(long nowNanos, FrameHandler handler, int limit) {
        this.now = nowNanos;
        this.downstream = handler;
        this.delivered = 0;
        releaseDelayed(nowNanos, limit);
        int received = delivered < limit ? inner.receive(nowNanos, onInnerFrame, limit - delivered) : 0;
        if (received == 0 && heldLength >= 0) {
            releaseHeld();
        }
        this.downstream = null;
        return delivered;
    }

    private void onInnerFrame(DirectBuffer buffer, int offset, int length, int flags) {
        counters.increment(Fault.RECEIVED);
        if (rateBytesPerSecond > 0 && !takeTokens(length)) {
            counters.increment(Fault.RATE_LIMITED);
            return;
        }
        if (roll(lossPpm)) {
            counters.increment(Fault.LOST);
            return;
        }
        DirectBuffer frame = buffer;
        int frameOffset = offset;
        int frameFlags = flags;
        if (roll(corruptPpm) && length <= slotLength) {
            slots.putBytes(0, buffer, offset, length);
            int victim = random.nextInt(length);
            slots.putByte(victim, (byte) (slots.getByte(victim) ^ (1 + random.nextInt(255))));
            counters.increment(Fault.CORRUPTED);
            frame = slots;
            frameOffset = 0;
            frameFlags = 0;
        }
        boolean duplicate = roll(duplicatePpm);
        if (delaySlots > 0) {
            delay(frame, frameOffset, length, frameFlags);
            if (duplicate) {
                counters.increment(Fault.DUPLICATED);
                delay(frame, frameOffset, length, frameFlags);
            }
            return;
        }
        if (roll(reorderPpm) && heldLength < 0 && length <= slotLength) {
            slots.putBytes(slotLength, frame, frameOffset, length);
            heldLength = length;
            heldFlags = frameFlags;
            counters.increment(Fault.REORDERED);
            return;
        }
        deliver(frame, frameOffset, length, frameFlags);
        if (duplicate) {
            counters.increment(Fault.DUPLICATED);
            deliver(frame, frameOffset, length, frameFlags);
        }
        if (heldLength >= 0) {
            releaseHeld();
        }
    }

    private boolean roll(int thresholdPpm) {
        return thresholdPpm > 0 && random.nextInt(PER_MILLION) < thresholdPpm;
    }

    private boolean takeTokens(int length) {
        if (!tokensStarted) {
            tokensStarted = true;
            tokens = burstBytes;
            tokensUpdatedAt = now;
        }
        long elapsed = now - tokensUpdatedAt;
        if (elapsed > 0) {
            // Cap the elapsed time before multiplying so the product cannot overflow; a full bucket needs no more.
            long refillNanos = Math.min(elapsed, 1_000_000_000L * burstBytes / rateBytesPerSecond + 1);
            tokens = Math.min(burstBytes, tokens + refillNanos * rateBytesPerSecond / 1_000_000_000L);
            tokensUpdatedAt = now;
        }
        if (tokens < length) {
            return false;
        }
        tokens -= length;
        return true;
    }

    private void delay(DirectBuffer frame, int offset, int length, int flags) {
        if (delayCount == delaySlots || length > slotLength) {
            counters.increment(Fault.DELAY_OVERFLOW);
            return;
        }
        int slot = (delayHead + delayCount) % delaySlots;
        slots.putBytes((2 + slot) * slotLength, frame, offset, length);
        delayReleaseAt[slot] = now + delayNanos;
        delayLength[slot] = length;
        delayFlags[slot] = flags;
        delayCount++;
        counters.increment(Fault.DELAYED);
    }

    /** The delay is constant, so frames leave the line in the order they entered it. */
    private void releaseDelayed(long nowNanos, int limit) {
        while (delayCount > 0 && delivered < limit && delayReleaseAt[delayHead] - nowNanos <= 0) {
            deliver(slots, (2 + delayHead) * slotLength, delayLength[delayHead], delayFlags[delayHead]);
            delayHead = (delayHead + 1) % delaySlots;
            delayCount--;
        }
    }

    private void releaseHeld() {
        int length = heldLength;
        heldLength = -1;
        deliver(slots, slotLength, length, heldFlags);
    }

    private void deliver(DirectBuffer buffer, int offset, int length, int flags) {
        counters.increment(Fault.DELIVERED);
        delivered++;
        downstream.onFrame(buffer, offset, length, flags);
    }
}
