package dev.tapir.engine.stack.tcp;

import java.security.SecureRandom;

/**
 * Initial sequence numbers per RFC 6528: ISN = M + F(4-tuple, secret), M a 4-microsecond clock and F a keyed hash
 * (SipHash-2-4) under a 128-bit key drawn once from SecureRandom. Different connections get unrelated ISNs; a reused
 * 4-tuple gets ISNs that still move forward with the clock.
 */
public final class InitialSequenceNumbers {
    private final long k0;
    private final long k1;

    public InitialSequenceNumbers(SecureRandom random) {
        this.k0 = random.nextLong();
        this.k1 = random.nextLong();
    }

    public int next(long nowNanos, int localAddress, int localPort, int remoteAddress, int remotePort) {
        long m1 = ((long) localAddress << 32) | (remoteAddress & 0xffffffffL);
        long m2 = ((long) localPort << 16) | remotePort;
        return (int) (nowNanos / 4000) + (int) sipHash24(m1, m2);
    }

    /** SipHash-2-4 of the 16-byte message m1 || m2 (two 64-bit little-endian words). */
    private long sipHash24(long m1, long m2) {
        long v0 = k0 ^ 0x736f6d6570736575L;
        long v1 = k1 ^ 0x646f72616e646f6dL;
        long v2 = k0 ^ 0x6c7967656e657261L;
        long v3 = k1 ^ 0x7465646279746573L;
        long[] v = {v0, v1, v2, v3};
        compress(v, m1);
        compress(v, m2);
        compress(v, 16L << 56);
        v[2] ^= 0xff;
        for (int i = 0; i < 4; i++) {
            round(v);
        }
        return v[0] ^ v[1] ^ v[2] ^ v[3];
    }

    private static void compress(long[] v, long m) {
        v[3] ^= m;
        round(v);
        round(v);
        v[0] ^= m;
    }

    private static void round(long[] v) {
        v[0] += v[1];
        v[1] = Long.rotateLeft(v[1], 13);
        v[1] ^= v[0];
        v[0] = Long.rotateLeft(v[0], 32);
        v[2] += v[3];
        v[3] = Long.rotateLeft(v[3], 16);
        v[3] ^= v[2];
        v[0] += v[3];
        v[3] = Long.rotateLeft(v[3], 21);
        v[3] ^= v[0];
        v[2] += v[1];
        v[1] = Long.rotateLeft(v[1], 17);
        v[1] ^= v[2];
        v[2] = Long.rotateLeft(v[2], 32);
    }
}
