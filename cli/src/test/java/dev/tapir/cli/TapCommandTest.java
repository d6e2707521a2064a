package dev.tapir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tapir.nativeio.Namespaces;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class TapCommandTest {
    private final String ns = "tapir-t-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24) | (1 << 24));
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @AfterEach
    void deleteIfLeft() throws Exception {
        if (Namespaces.exists(ns)) {
            Namespaces.delete(ns);
        }
    }

    private int tap(String... args) {
        CommandLine cl = new CommandLine(new TapCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Test
    void userMistakesGiveOneLineAndNonZeroExit() {
        assertEquals(2, tap("create", "tap9", "--netns", ns));
        assertEquals("tapir tap create: a tap without --persist disappears when this command exits; add --persist",
                err.toString().strip());
        err.getBuffer().setLength(0);
        assertEquals(2, tap("create", "tap9", "--persist", "--address", "10.0.0.1", "--netns", ns));
        assertEquals("tapir tap create: expected ADDRESS/PREFIX such as 192.168.122.1/24, got '10.0.0.1'",
                err.toString().strip());
        err.getBuffer().setLength(0);
        assertEquals(2, tap("create", "tap9", "--persist", "--netns", ns));
        assertEquals("tapir tap create: network namespace " + ns + " does not exist", err.toString().strip());
        err.getBuffer().setLength(0);
        assertEquals(2, tap("lab", "--delete", "--netns", ns));
        assertEquals(1, err.toString().strip().lines().count());
    }

    @Test
    void labCreateThenDelete() throws Exception {
        assertEquals(0, tap("lab", "--netns", ns), err.toString());
        assertTrue(out.toString().contains("tapir server --netns " + ns + " --tap tap0 --ip 192.168.122.10/24"));
        assertTrue(Namespaces.exists(ns));
        assertEquals(2, tap("lab", "--netns", ns));
        assertTrue(err.toString().contains("already exists"), err.toString());
        assertEquals(0, tap("create", "tap2", "--persist", "--bridge", "tapirbr0", "--netns", ns), err.toString());
        assertEquals(0, tap("delete", "tap2", "--netns", ns), err.toString());
        assertEquals(0, tap("lab", "--delete", "--netns", ns), err.toString());
        assertFalse(Namespaces.exists(ns));
    }
}
