package dev.tapir.nativeio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LibcTest {
    @Test
    void openOfMissingFileNamesCallAndErrno() {
        SyscallException e = assertThrows(SyscallException.class,
                () -> Libc.open("/nonexistent/tapir", Libc.O_RDONLY | Libc.O_CLOEXEC, 0));
        assertEquals("open", e.call());
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals("ENOENT", e.errnoName());
        assertEquals("open: ENOENT (No such file or directory)", e.getMessage());
    }

    @Test
    void writeThenReadRoundTripsOffHeapBytes(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("data");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(64);
            for (int i = 0; i < 64; i++) {
                buf.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) i);
            }
            int fd = Libc.open(file.toString(), Libc.O_WRONLY | 0x40 /* O_CREAT */ | Libc.O_CLOEXEC, 0600);
            assertEquals(40, Libc.write(fd, buf, 8, 40));
            Libc.close(fd);
            assertEquals(40, Files.size(file));
            assertEquals(8, Files.readAllBytes(file)[0]);

            fd = Libc.open(file.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
            MemorySegment in = arena.allocate(64);
            assertEquals(40, Libc.read(fd, in, 0, 64));
            assertEquals(47, in.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 39));
            assertEquals(0, Libc.read(fd, in, 0, 64));
            Libc.close(fd);
        }
    }

    @Test
    void closeOfBadDescriptorIsEbadf() {
        SyscallException e = assertThrows(SyscallException.class, () -> Libc.close(987654));
        assertEquals(Errno.EBADF, e.errno());
    }

    @Test
    void unknownErrnoKeepsItsNumber() {
        assertEquals("errno 4095", Errno.name(4095));
        assertEquals("ECONNREFUSED", Errno.name(111));
    }
}
