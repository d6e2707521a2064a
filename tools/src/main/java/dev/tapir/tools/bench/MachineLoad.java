package dev.tapir.tools.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * CPU time of the whole machine and of single processes, from /proc, in clock ticks: how the harness waits for an
 * idle machine before a run and measures what other processes used during it (both as in baselines.md).
 */
final class MachineLoad {
    private MachineLoad() {
    }

    /** One reading of /proc/stat: ticks busy and ticks elapsed on one core's scale. */
    record Sample(long busyTicks, long coreTicks) {
        /** Percent of one core busy between {@code earlier} and this sample (0 when no time passed). */
        double busyPercentSince(Sample earlier) {
            long elapsed = coreTicks - earlier.coreTicks;
            return elapsed <= 0 ? 0 : 100.0 * (busyTicks - earlier.busyTicks) / elapsed;
        }
    }

    static Sample machine() throws IOException {
        return parseStat(Files.readAllLines(Path.of("/proc/stat")));
    }

    /**
     * Parses /proc/stat: busy = user + nice + system + irq + softirq of the "cpu" line (steal is the hypervisor's, not
     * a process's); elapsed on one core's scale = all of that line's ticks (guest time is already inside user)
     * divided by the number of "cpuN" lines.
     */
    static Sample parseStat(List<String> lines) {
        long busy = 0;
        long all = 0;
        int cpus = 0;
        for (String line : lines) {
            if (line.startsWith("cpu ")) {
                String[] f = line.trim().split("\\s+");
                for (int i = 1; i <= Math.min(8, f.length - 1); i++) {
                    long v = Long.parseLong(f[i]);
                    all += v;
                    if (i != 4 && i != 5 && i != 8) { // idle, iowait, steal
                        busy += v;
                    }
                }
            } else if (line.startsWith("cpu")) {
                cpus++;
            }
        }
        return new Sample(busy, all / Math.max(1, cpus));
    }

    /** User + system ticks of a process, all its threads; -1 when it is gone. */
    static long processTicks(long pid) {
        try {
            return parseProcessTicks(Files.readString(Path.of("/proc/" + pid + "/stat")));
        } catch (IOException e) {
            return -1;
        }
    }

    /** utime + stime of a /proc/PID/stat line; fields counted after the command name, which may hold spaces. */
    static long parseProcessTicks(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
        // after ")": state is field 3 of the whole line, so utime (14) and stime (15) are at 11 and 12 here
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /**
     * Waits until one second passes with the machine below {@code maxBusyPercent} of one core, at most
     * {@code limitMillis}; returns the busy percent of the last second measured.
     */
    static double awaitIdle(double maxBusyPercent, long limitMillis) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + limitMillis * 1_000_000L;
        double busy;
        do {
            Sample before = machine();
            Thread.sleep(1000);
            busy = machine().busyPercentSince(before);
        } while (busy >= maxBusyPercent && System.nanoTime() < deadline);
        return busy;
    }
}
