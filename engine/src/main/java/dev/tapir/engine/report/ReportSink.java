package dev.tapir.engine.report;

/** Receives interval reports as a test runs; called on the reporter's thread, never on a hot thread. */
@FunctionalInterface
public interface ReportSink {
    void onInterval(Interval interval);
}
