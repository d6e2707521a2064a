package dev.tapir.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Ctrl-C (or SIGTERM) during a test ends the test early instead of killing the client: the shutdown hook asks the test
 * to end, then holds the JVM's exit until the client has exchanged results and printed its summary (at most
 * {@link #WAIT_MILLIS}). Outside a running test the JVM exits at once.
 */
final class EndOnInterrupt implements AutoCloseable {
    /** Longest wait for the summary: the results exchange, and a receiver's drain of what is still in flight. */
    static final long WAIT_MILLIS = 10_000;

    private final CountDownLatch printed = new CountDownLatch(1);
    private final Thread hook;

    /** @param endTest ends the running test; returns false when no test was running */
    EndOnInterrupt(BooleanSupplier endTest) {
        hook = new Thread(() -> {
            if (endTest.getAsBoolean()) {
                try {
                    printed.await(WAIT_MILLIS, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }, "tapir-end-on-interrupt");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** The client is done (summary printed, or failed): the exit may go on. */
    @Override
    public void close() {
        System.out.flush();
        printed.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down: the hook is running and has just been released
        }
    }
}
