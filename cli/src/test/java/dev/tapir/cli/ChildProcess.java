package dev.tapir.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A process a test started (tapir through {@link SelfLauncher}, iperf, ping, nft, ip): stdout and stderr go to files
 * so a long-running server can be read while it runs. Closing kills it, by its own handle only.
 */
final class ChildProcess implements AutoCloseable {
    private final Process process;
    private final Path stdout;
    private final Path stderr;
    private final String what;

    private ChildProcess(List<String> command) throws IOException {
        this.what = String.join(" ", command);
        this.stdout = Files.createTempFile("tapir-test-", ".out");
        this.stderr = Files.createTempFile("tapir-test-", ".err");
        this.process = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile())
                .start();
    }

    static ChildProcess start(List<String> command) throws IOException {
        return new ChildProcess(command);
    }

    /** {@code tapir ARGS...} in a child JVM, optionally inside a namespace with {@code ip netns exec}. */
    static ChildProcess tapir(List<String> prefix, String... args) throws IOException {
        List<String> command = new ArrayList<>(prefix);
        command.addAll(SelfLauncher.command());
        command.addAll(List.of(args));
        return new ChildProcess(command);
    }

    /** Runs a command to its end (bounded) and returns its stdout; fails the test on a non-zero exit. */
    static String run(long seconds, String... command) throws Exception {
        try (ChildProcess p = start(List.of(command))) {
            int exit = p.await(seconds);
            assertTrue(exit == 0, p.what + " exited " + exit + ": " + p.stdout() + p.stderr());
            return p.stdout();
        }
    }

    /** Waits for the end (at most {@code seconds}); fails the test if it is still running then. */
    int await(long seconds) throws Exception {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(what + " did not finish within " + seconds + " s; stderr: " + stderr());
        }
        return process.exitValue();
    }

    /** Waits until stderr holds {@code text} (at most {@code seconds}); fails if the process ends first. */
    void awaitStderr(String text, long seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!stderr().contains(text)) {
            if (!process.isAlive()) {
                throw new AssertionError(what + " exited " + process.exitValue() + " before saying '" + text
                        + "': " + stderr());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + " did not say '" + text + "' within " + seconds + " s: " + stderr());
            }
            Thread.sleep(20);
        }
    }

    String stdout() throws IOException {
        return Files.readString(stdout, StandardCharsets.UTF_8);
    }

    String stderr() throws IOException {
        return Files.readString(stderr, StandardCharsets.UTF_8);
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    /** SIGTERM, then SIGKILL after 5 s; waits for the end. */
    void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
        }
    }
}
