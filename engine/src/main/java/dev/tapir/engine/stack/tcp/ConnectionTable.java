package dev.tapir.engine.stack.tcp;

/**
 * Open-addressing hash table from a connection's key (remote address, remote port, local port packed in a long) to
 * its socket: linear probing, deletion by backward shift, so lookups never allocate and leave no tombstones. Grows
 * (allocating) only when a connection is added past half full. Stack thread only.
 */
final class ConnectionTable {
    private long[] keys;
    private TcpSocket[] values;
    private int mask;
    private int size;

    ConnectionTable(int initialCapacity) {
        int c = Integer.highestOneBit(Math.max(16, initialCapacity - 1) << 1);
        keys = new long[c];
        values = new TcpSocket[c];
        mask = c - 1;
    }

    static long key(int remoteAddress, int remotePort, int localPort) {
        return ((long) remoteAddress << 32) | ((long) (remotePort & 0xffff) << 16) | (localPort & 0xffff);
    }

    int size() {
        return size;
    }

    TcpSocket get(long key) {
        int i = slot(key);
        while (values[i] != null) {
            if (keys[i] == key) {
                return values[i];
            }
            i = (i + 1) & mask;
        }
        return null;
    }

    void put(long key, TcpSocket socket) {
        if ((size + 1) * 2 > keys.length) {
            grow();
        }
        int i = slot(key);
        while (values[i] != null) {
            if (keys[i] == key) {
                values[i] = socket;
                return;
            }
            i = (i + 1) & mask;
        }
        keys[i] = key;
        values[i] = socket;
        size++;
    }

    /** Removes {@code key} if it maps to {@code socket}. */
    void remove(long key, TcpSocket socket) {
        int i = slot(key);
        while (values[i] != null) {
            if (keys[i] == key) {
                if (values[i] != socket) {
                    return;
                }
                values[i] = null;
                size--;
                shiftBack(i);
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /** Moves later members of the probe run into the freed slot where their home slot allows it. */
    private void shiftBack(int freed) {
        int gap = freed;
        int i = (freed + 1) & mask;
        while (values[i] != null) {
            int home = slot(keys[i]);
            // The entry may move to the gap if its home is not cyclically inside (gap, i].
            if (((i - home) & mask) >= ((i - gap) & mask)) {
                keys[gap] = keys[i];
                values[gap] = values[i];
                values[i] = null;
                gap = i;
            }
            i = (i + 1) & mask;
        }
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }

    private void grow() {
        long[] oldKeys = keys;
        TcpSocket[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new TcpSocket[oldKeys.length * 2];
        mask = keys.length - 1;
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldValues[i] != null) {
                put(oldKeys[i], oldValues[i]);
            }
        }
    }
}
