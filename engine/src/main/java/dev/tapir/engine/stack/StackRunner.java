package dev.tapir.engine.stack;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.CompositeAgent;

/**
 * Runs one or more stacks on one thread: an Agrona duty cycle that backs off (spin, yield, then park up to
 * {@link #MAX_PARK_NANOS}) while no stack has work. Several stacks on one thread suit a memory link on a small
 * machine; a stack per runner gives each its own core. Closing lingers while closed connections still deliver (at
 * most {@link #LINGER_NANOS}), then stops the thread and closes the stacks' devices.
 */
public final class StackRunner implements AutoCloseable {
    public static final long MAX_PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(200);
    /** How long closing waits for closed connections' last bytes and FINs to be acknowledged. */
    public static final long LINGER_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final long LINGER_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

    private final NetworkStack[] stacks;
    private final AgentRunner runner;
    private volatile Throwable failure;

    private StackRunner(NetworkStack... stacks) {
        this.stacks = stacks.clone();
        Agent agent = stacks.length == 1 ? stacks[0] : new CompositeAgent(stacks);
        BackoffIdleStrategy idle = new BackoffIdleStrategy(100, 10, TimeUnit.MICROSECONDS.toNanos(1), MAX_PARK_NANOS);
        this.runner = new AgentRunner(idle, this::onError, null, agent);
    }

    /** Starts a thread that runs {@code stacks} until {@link #close}. */
    public static StackRunner start(NetworkStack... stacks) {
        if (stacks.length == 0) {
            throw new IllegalArgumentException("no stack to run");
        }
        StackRunner runner = new StackRunner(stacks);
        AgentRunner.startOnThread(runner.runner);
        return runner;
    }

    /** An exception that escaped a duty cycle (a defect: network input never throws); null if none. */
    public Throwable failure() {
        return failure;
    }

    private void onError(Throwable error) {
        if (failure == null) {
            failure = error;
        }
    }

    /**
     * Lingers while a stack still delivers what its closed connections wrote (a process that exits after closing a
     * kernel socket leaves that to the kernel; here the stack thread must stay until it is done), then stops the
     * thread.
     */
    @Override
    public void close() {
        long deadline = System.nanoTime() + LINGER_NANOS;
        for (NetworkStack stack : stacks) {
            while (failure == null && !runner.isClosed() && delivering(stack, deadline)) {
                LockSupport.parkNanos(LINGER_POLL_NANOS);
            }
        }
        runner.close();
    }

    /** Asks the stack thread whether {@code stack} still delivers; false once {@code deadline} has passed. */
    private static boolean delivering(NetworkStack stack, long deadline) {
        long left = deadline - System.nanoTime();
        CompletableFuture<Boolean> answer = new CompletableFuture<>();
        if (left <= 0 || !stack.submit(() -> answer.complete(stack.tcp().delivering()))) {
            return false;
        }
        try {
            return answer.get(left, TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
