package dev.tapir.engine.stack.tcp;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * How ONE user thread waits for the stack thread on one kind of news (bytes to read, room to write, a connection to
 * accept): it spins, then yields, then parks until the stack thread wakes it. A thread that parked on a timer instead
 * would wake every few hundred microseconds for as long as it waits (thousands of times a second for an idle control
 * connection, on cores the stacks need); a parked thread here costs nothing until there is news for it.
 *
 * <p>No wake-up is lost: the user thread announces itself (a volatile store), then checks again what it waits for,
 * and parks only if that has not come; the stack thread publishes its news, then a full fence, then reads the
 * announcement. One of the two always sees the other.
 */
public final class UserWakeup {
    private static final int SPINS = 100;
    private static final int YIELDS = 10;
    /** Longest park without news: a bound for waits with a deadline, not the way news arrives. */
    private static final long MAX_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final VarHandle PARKED;

    static {
        try {
            PARKED = MethodHandles.lookup().findVarHandle(UserWakeup.class, "parked", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private volatile Thread parked;
    private int idles;

    /** User thread: a new wait begins (spinning first). */
    public void reset() {
        idles = 0;
    }

    /**
     * User thread: one idle step of a wait for {@code ready}: a spin, a yield, or a park until the stack thread has
     * news, {@code deadlineNanos} (a {@link System#nanoTime} value) passes, or at most {@link #MAX_PARK_NANOS}.
     */
    public void idle(BooleanSupplier ready, long deadlineNanos) {
        if (idles < SPINS + YIELDS) {
            if (idles++ < SPINS) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
            return;
        }
        parked = Thread.currentThread();
        VarHandle.fullFence();
        if (!ready.getAsBoolean()) {
            long left = deadlineNanos == Long.MAX_VALUE ? MAX_PARK_NANOS : deadlineNanos - System.nanoTime();
            if (left > 0) {
                LockSupport.parkNanos(this, Math.min(left, MAX_PARK_NANOS));
            }
        }
        parked = null;
    }

    /**
     * Stack thread, after publishing news this wakeup's thread may wait for: unparks it if it is parked (or about
     * to park). Cheap when nobody waits: a fence and a load.
     */
    void wake() {
        VarHandle.fullFence();
        Thread thread = parked;
        if (thread != null && PARKED.compareAndSet(this, thread, null)) {
            LockSupport.unpark(thread);
        }
    }
}
