package dev.tapir.tools.bench;

/**
 * One run's figures, taken at the receiver.
 *
 * @param bitsPerSecond payload bits received per second
 * @param packetsPerSecond datagrams received per second (UDP; 0 for TCP)
 * @param lostPercent datagrams lost, percent (UDP; 0 for TCP)
 * @param gcPauses garbage-collection pauses logged by the tool's JVMs during the run; -1 for C tools
 * @param gcPausesAfterWarmUp those of {@code gcPauses} in the data phase after warm-up (see
 *     {@link BenchHarness#WARM_UP_SECONDS}); -1 for C tools
 * @param otherCpuPercent CPU used by processes other than this run's client and server while data flowed, percent of
 *     one core; -1 when the run was too short to sample
 */
public record Measurement(Tool tool, String protocol, int length, int iteration, double bitsPerSecond,
        double packetsPerSecond, double lostPercent, int gcPauses, int gcPausesAfterWarmUp, double otherCpuPercent) {
}
