package dev.tapir.nativeio;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/** A namespace a test owns: made with {@code ip netns add tapir-t-RANDOM}, deleted by exact name. */
final class TestNetns implements AutoCloseable {
    final String name;

    private TestNetns(String name) {
        this.name = name;
    }

    static TestNetns create() throws IOException {
        String name = "tapir-t-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24) | (1 << 24));
        run("ip", "netns", "add", name);
        return new TestNetns(name);
    }

    /** Runs a command and returns its stdout; fails the test on a non-zero exit or after 10 s. */
    static String run(String... command) throws IOException {
        Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
        boolean exited;
        try {
            exited = p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new java.io.InterruptedIOException("interrupted: " + String.join(" ", command));
        }
        if (!exited) {
            p.destroyForcibly();
            throw new IOException("timed out: " + String.join(" ", command));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " exited " + p.exitValue() + ": " + out);
        }
        return out;
    }

    /** {@code ip -n NS ARGS...}: an independent view of the namespace. */
    String ip(String... args) throws IOException {
        String[] command = new String[args.length + 3];
        command[0] = "ip";
        command[1] = "-n";
        command[2] = name;
        System.arraycopy(args, 0, command, 3, args.length);
        return run(command);
    }

    <T> T call(Namespaces.Task<T> task) throws IOException {
        return Namespaces.callIn(name, task);
    }

    @Override
    public void close() throws IOException {
        run("ip", "netns", "del", name);
    }
}
