package dev.tapir.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MachineLoadTest {
    @Test
    void procStatBusyExcludesIdleIowaitAndStealAndScalesToOneCore() {
        // user nice system idle iowait irq softirq steal guest guest_nice
        MachineLoad.Sample before = MachineLoad.parseStat(List.of(
                "cpu  100 0 50 1000 10 0 5 7 0 0", "cpu0 50 0 25 500 5 0 3 4 0 0", "cpu1 50 0 25 500 5 0 2 3 0 0",
                "intr 12345"));
        assertEquals(155, before.busyTicks());
        assertEquals((100 + 50 + 1000 + 10 + 5 + 7) / 2, before.coreTicks());
        // 200 more ticks on two cores = 100 ticks of one core, 60 of them busy
        MachineLoad.Sample after = MachineLoad.parseStat(List.of(
                "cpu  140 0 70 1140 10 0 5 7 0 0", "cpu0 0 0 0 0 0 0 0 0 0 0", "cpu1 0 0 0 0 0 0 0 0 0 0"));
        assertEquals(60.0, after.busyPercentSince(before), 1e-9);
    }

    @Test
    void processTicksAreUserPlusSystemEvenWithSpacesInTheName() {
        String stat = "4242 (C2 Compiler) S 1 4242 4242 0 -1 4194560 1000 0 0 0 321 123 0 0 20 0 19 0 100 0 0";
        assertEquals(444, MachineLoad.parseProcessTicks(stat));
    }

    @Test
    void ownProcessHasTicksAndTheMachineHasCores() throws Exception {
        assertTrue(MachineLoad.processTicks(ProcessHandle.current().pid()) >= 0);
        assertEquals(-1, MachineLoad.processTicks(Long.MAX_VALUE));
        assertTrue(MachineLoad.machine().coreTicks() > 0);
    }

    @Test
    void gcPausesAreCountedOnlyInsideTheWindow(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("gc.log");
        Files.writeString(log, """
                [0.008s][info][gc] Using G1
                [0.950s][info][gc] GC(0) Pause Young (Normal) (G1 Evacuation Pause) 17M->3M(384M) 8.768ms
                [3.500s][info][gc] GC(1) Pause Young (Normal) (G1 Evacuation Pause) 19M->4M(384M) 11.411ms
                [9.100s][info][gc] GC(2) Pause Young (Normal) (G1 Evacuation Pause) 40M->4M(384M) 25.437ms
                """);
        assertEquals(3, BenchHarness.gcPauses(log, 0, Double.MAX_VALUE));
        assertEquals(1, BenchHarness.gcPauses(log, 2.0, 9.0));
        assertEquals(0, BenchHarness.gcPauses(dir.resolve("absent.log"), 0, Double.MAX_VALUE));
    }
}
