package dev.tapir.tools;

import dev.tapir.nativeio.SyscallException;
import dev.tapir.nativeio.Tun;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Run by {@link TapSetupTest} as an unprivileged user: attaches to a tap through a given tun device node and writes one
 * frame. Prints {@code attached NAME wrote N}, or the failing call and errno name.
 */
public final class TunAttachProbe {
    private TunAttachProbe() {
    }

    public static void main(String[] args) {
        try (Tun tun = Tun.open(args[0], args[1], Tun.IFF_TAP | Tun.IFF_NO_PI, true);
                Arena arena = Arena.ofConfined()) {
            MemorySegment frame = arena.allocate(60);
            frame.fill((byte) 0xff);
            System.out.println("attached " + tun.name() + " wrote " + tun.write(frame, 0, 60));
        } catch (SyscallException e) {
            System.out.println(e.call() + " " + e.errnoName());
        }
    }
}
