package dev.tapir.engine.test;

/**
 * Tells the loops of one test to stop. Loops check it once per iteration; their read/write timeouts
 * ({@link #POLL_MILLIS}) bound how long a stop can go unnoticed.
 */
public final class StopSignal {
    /** Timeout the loops give each read/write/receive so that a stop is seen within this many milliseconds. */
    public static final int POLL_MILLIS = 200;

    private volatile boolean stopped;

    public void stop() {
        stopped = true;
    }

    public boolean stopped() {
        return stopped;
    }
}
