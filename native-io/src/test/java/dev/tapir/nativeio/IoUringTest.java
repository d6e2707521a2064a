package dev.tapir.nativeio;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs where this process may use io_uring; elsewhere tapir falls back to a call per operation, tested where used. */
class IoUringTest {
    private static final int BLOCK = 4096;

    @BeforeAll
    static void ioUringAllowed() throws SyscallException {
        assumeTrue(IoUring.isAllowed(), "io_uring is refused here (kernel.io_uring_disabled or a seccomp filter)");
    }

    private record Completion(long userData, int result) {
    }

    private static List<Completion> drain(IoUring ring) {
        List<Completion> seen = new ArrayList<>();
        ring.drainCompletions((userData, result) -> seen.add(new Completion(userData, result)));
        return seen;
    }

    @Test
    void writesAndReadsBackBlocksOfAFileWithOneSubmitEach(@TempDir Path dir) throws Exception {
        Path file = Files.createFile(dir.resolve("blocks"));
        int fd = Libc.open(file.toString(), Libc.O_RDWR | Libc.O_CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined(); IoUring ring = IoUring.open(8)) {
            MemorySegment out = arena.allocate(3 * BLOCK, 64);
            for (int i = 0; i < out.byteSize(); i++) {
                out.set(JAVA_BYTE, i, (byte) (i * 7 + i / BLOCK));
            }
            for (int block = 0; block < 3; block++) {
                assertTrue(ring.prepareWrite(fd, out.address() + (long) block * BLOCK, BLOCK, (long) block * BLOCK,
                        0, 100 + block));
            }
            assertEquals(3, ring.queued());
            assertEquals(3, ring.submitAndWait(3));
            assertEquals(List.of(new Completion(100, BLOCK), new Completion(101, BLOCK), new Completion(102, BLOCK)),
                    drain(ring));
            assertArrayEquals(out.toArray(JAVA_BYTE), Files.readAllBytes(file));

            MemorySegment in = arena.allocate(3 * BLOCK, 64);
            for (int block = 2; block >= 0; block--) {
                assertTrue(ring.prepareRead(fd, in.address() + (long) block * BLOCK, BLOCK, (long) block * BLOCK, 0,
                        block));
            }
            assertEquals(3, ring.submitAndWait(3));
            assertEquals(List.of(new Completion(2, BLOCK), new Completion(1, BLOCK), new Completion(0, BLOCK)),
                    drain(ring));
            assertArrayEquals(out.toArray(JAVA_BYTE), in.toArray(JAVA_BYTE));
            assertEquals(0, ring.queued());
        } finally {
            Libc.close(fd);
        }
    }

    @Test
    void aFullQueueRefusesMoreUntilSubmitted(@TempDir Path dir) throws Exception {
        Path file = Files.write(dir.resolve("small"), new byte[] {1, 2, 3, 4});
        int fd = Libc.open(file.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined(); IoUring ring = IoUring.open(4)) {
            MemorySegment in = arena.allocate(16);
            assertEquals(4, ring.entries());
            for (int i = 0; i < 4; i++) {
                assertTrue(ring.prepareRead(fd, in.address() + 4L * i, 4, 0, 0, i));
            }
            assertEquals(0, ring.room());
            assertFalse(ring.prepareRead(fd, in.address(), 4, 0, 0, 9));
            assertEquals(4, ring.submitAndWait(4));
            assertEquals(4, ring.room());
            assertEquals(4, drain(ring).stream().filter(c -> c.result() == 4).count());
            for (int i = 0; i < 4; i++) {
                assertEquals(i + 1, in.get(JAVA_BYTE, 4L * i + i));
            }
        } finally {
            Libc.close(fd);
        }
    }

    @Test
    void aFailedOperationCompletesWithTheNegatedErrnoAndTheRestOfTheBatchRuns(@TempDir Path dir) throws Exception {
        Path file = Files.createFile(dir.resolve("after-failure"));
        int fd = Libc.open(file.toString(), Libc.O_RDWR | Libc.O_CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined(); IoUring ring = IoUring.open(4)) {
            MemorySegment out = arena.allocateFrom(JAVA_BYTE, (byte) 'x', (byte) 'y');
            assertTrue(ring.prepareWrite(-1, out.address(), 2, IoUring.CURRENT_POSITION, 0, 1));
            assertTrue(ring.prepareWrite(fd, out.address(), 2, 0, 0, 2));
            ring.submitAndWait(2);
            List<Completion> seen = drain(ring);
            assertTrue(seen.contains(new Completion(1, -Errno.EBADF)), seen.toString());
            assertTrue(seen.contains(new Completion(2, 2)), seen.toString());
            assertArrayEquals(new byte[] {'x', 'y'}, Files.readAllBytes(file));
        } finally {
            Libc.close(fd);
        }
    }

    /** The tap case: with RWF_NOWAIT a read of an empty queue completes at once instead of waiting for a frame. */
    @Test
    void aNowaitReadOfAnEmptyTapCompletesWithEagainWithinTheSubmit() throws Exception {
        try (TestNetns ns = TestNetns.create()) {
            ns.call(() -> {
                try (Tun tap = Tun.open("uring0", Tun.IFF_TAP | Tun.IFF_NO_PI, true);
                        Arena arena = Arena.ofConfined();
                        IoUring ring = IoUring.open(2)) {
                    MemorySegment in = arena.allocate(2048);
                    assertTrue(ring.prepareRead(tap.fd(), in.address(), 2048, IoUring.CURRENT_POSITION,
                            IoUring.RWF_NOWAIT, 7));
                    assertEquals(1, ring.submit());
                    assertEquals(List.of(new Completion(7, -Errno.EAGAIN)), drain(ring));
                }
                return null;
            });
        }
    }

    /**
     * Chains of linked sends into a TCP socket with small buffers while another thread reads: a send that moves part
     * of its slice must end the chain (MSG_WAITALL makes it a failure), or the next send, finding room the reader just
     * made, would leave a gap in the stream. Every byte the completions count arrives, in order.
     */
    @Test
    void aChainOfLinkedSendsStopsAtTheFirstShortOneAndLeavesNoGap() throws Exception {
        int slice = 3000;
        int slices = 32;
        long total = 16L << 20;
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        int server = Sockets.socket(SockAddr.family(loopback), Sockets.SOCK_STREAM, 0);
        int sender = Sockets.socket(SockAddr.family(loopback), Sockets.SOCK_STREAM | Sockets.SOCK_NONBLOCK, 0);
        int receiver = -1;
        try (Arena arena = Arena.ofShared(); IoUring ring = IoUring.open(64)) {
            Sockets.setsockopt(server, Sockets.SOL_SOCKET, Sockets.SO_RCVBUF, 8 * 1024);
            Sockets.bind(server, loopback);
            Sockets.listen(server, 1);
            Sockets.setsockopt(sender, Sockets.SOL_SOCKET, Sockets.SO_SNDBUF, 8 * 1024);
            Sockets.connect(sender, Sockets.localAddress(server), 2000);
            int accepted = Sockets.accept(server, MemorySegment.NULL, MemorySegment.NULL, 0);
            receiver = accepted;
            // A stream of 251-periodic bytes, sent as slices of a buffer long enough for any starting phase.
            MemorySegment pattern = arena.allocate(251 + (long) slice * slices);
            for (int i = 0; i < pattern.byteSize(); i++) {
                pattern.set(JAVA_BYTE, i, (byte) (i % 251));
            }
            long[] received = new long[1];
            String[] mismatch = new String[1];
            Thread reader = Thread.ofPlatform().start(() -> {
                MemorySegment in = arena.allocate(5000);
                try {
                    while (mismatch[0] == null) {
                        int n = Sockets.recv(accepted, in, 0, (int) in.byteSize(), 0);
                        if (n == 0) {
                            break;
                        }
                        if (n < 0) {
                            mismatch[0] = "recv returned " + n;
                        }
                        for (int i = 0; i < n && mismatch[0] == null; i++) {
                            if (in.get(JAVA_BYTE, i) != (byte) ((received[0] + i) % 251)) {
                                mismatch[0] = "byte " + (received[0] + i);
                            }
                        }
                        received[0] += n;
                    }
                } catch (SyscallException e) {
                    mismatch[0] = e.getMessage();
                }
            });
            long sent = 0;
            int partial = 0;
            long[] moved = new long[1];
            int[] results = new int[slices];
            MemorySegment pollfd = arena.allocate(Libc.POLLFD);
            for (int round = 0; round < 1_000_000 && sent < total && mismatch[0] == null; round++) {
                long base = pattern.address() + sent % 251;
                for (int i = 0; i < slices; i++) {
                    assertTrue(ring.prepareSend(sender, base + (long) i * slice, slice,
                            Sockets.MSG_DONTWAIT | Sockets.MSG_WAITALL | Sockets.MSG_NOSIGNAL, i < slices - 1, i));
                }
                ring.submitAndWait(slices);
                ring.drainCompletions((userData, result) -> results[(int) userData] = result);
                moved[0] = 0;
                for (int i = 0; i < slices; i++) {
                    if (results[i] > 0) {
                        moved[0] += results[i];
                        partial += results[i] < slice ? 1 : 0;
                    } else {
                        assertTrue(results[i] == -Errno.EAGAIN || results[i] == -Errno.ECANCELED, "send " + i);
                    }
                }
                sent += moved[0];
                if (moved[0] == 0) {
                    Libc.pollOne(pollfd, sender, Libc.POLLOUT, 100);
                }
            }
            Sockets.shutdown(sender, Sockets.SHUT_WR);
            reader.join(10_000);
            assertEquals(null, mismatch[0]);
            assertEquals(sent, received[0], "every byte counted arrived");
            assertTrue(sent >= total, "sent " + sent);
            assertTrue(partial > 0, "the small buffers cut some sends short");
        } finally {
            if (receiver >= 0) {
                Sockets.close(receiver);
            }
            Sockets.close(sender);
            Sockets.close(server);
        }
    }

    @Test
    void entriesMustBeAPowerOfTwo() {
        assertThrows(IllegalArgumentException.class, () -> IoUring.open(3));
        assertThrows(IllegalArgumentException.class, () -> IoUring.open(0));
        assertThrows(IllegalArgumentException.class, () -> IoUring.open(8192));
    }
}
