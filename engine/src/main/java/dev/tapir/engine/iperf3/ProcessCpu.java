package dev.tapir.engine.iperf3;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's CPU use between two points, as iperf3 reports it (cpu_util_total/user/system: percent of one CPU's
 * wall time). Reads utime and stime from {@code /proc/self/stat}; all zero where that file cannot be read.
 */
final class ProcessCpu {
    /** USER_HZ: the unit of utime/stime on Linux (fixed at 100 by the kernel ABI). */
    private static final double TICKS_PER_SECOND = 100.0;

    private final long startNanos;
    private final long[] startTicks;

    ProcessCpu() {
        startNanos = System.nanoTime();
        startTicks = ticks();
    }

    /** {total, user, system} percent since construction. */
    double[] percentSinceStart() {
        long[] now = ticks();
        double wall = (System.nanoTime() - startNanos) / 1e9;
        if (now == null || startTicks == null || wall <= 0) {
            return new double[] {0, 0, 0};
        }
        double user = 100.0 * (now[0] - startTicks[0]) / TICKS_PER_SECOND / wall;
        double system = 100.0 * (now[1] - startTicks[1]) / TICKS_PER_SECOND / wall;
        return new double[] {user + system, user, system};
    }

    private static long[] ticks() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            // Fields after the parenthesised command name, which may itself contain spaces.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
