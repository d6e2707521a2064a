package dev.tapir.nativeio;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.OptionalInt;

/** The user database through libc's {@code getpwnam} (so NSS sources count, not only /etc/passwd). */
@SuppressWarnings("restricted")
public final class Passwd {
    /** The head of {@code struct passwd}: name, password, uid, gid (the rest is not read). */
    public static final StructLayout PASSWD_HEAD = MemoryLayout.structLayout(
            ADDRESS.withName("pw_name"), ADDRESS.withName("pw_passwd"),
            JAVA_INT.withName("pw_uid"), JAVA_INT.withName("pw_gid"));
    private static final VarHandle PW_UID = PASSWD_HEAD.varHandle(MemoryLayout.PathElement.groupElement("pw_uid"));

    private static final MethodHandle GETPWNAM = NativeRuntime.plainCall("getpwnam",
            FunctionDescriptor.of(ADDRESS.withTargetLayout(PASSWD_HEAD), ADDRESS));

    private Passwd() {
    }

    /** The uid of user {@code name}, or empty if there is none. Serialized, because getpwnam returns a static buffer. */
    public static synchronized OptionalInt uidOf(String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment entry = (MemorySegment) GETPWNAM.invokeExact(arena.allocateFrom(name));
            if (entry.equals(MemorySegment.NULL)) {
                return OptionalInt.empty();
            }
            return OptionalInt.of((int) PW_UID.get(entry, 0L));
        } catch (Throwable t) {
            throw NativeRuntime.unexpected(t);
        }
    }
}
