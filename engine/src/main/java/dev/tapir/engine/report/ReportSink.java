package dev.tapir.engine.report;

/** Receives interval reports as a test runs; called on the reporter's thread, never on a hot thread. */
@FunctionalInterface
public interface ReportSink {
    void onInterval(Interval interval);

    /** The test's streams are connected and it starts now (before its first interval). */
    default void onStart(TestStart start) {
    }
}
