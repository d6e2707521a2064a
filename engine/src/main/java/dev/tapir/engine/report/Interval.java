package dev.tapir.engine.report;

import java.util.List;

/** One reporting interval: every stream's sample and their sum. */
public record Interval(List<IntervalSample> streams, IntervalSample sum) {
    public Interval {
        streams = List.copyOf(streams);
    }
}
