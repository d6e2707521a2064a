package dev.tapir.engine.iperf3;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tapir.engine.transport.StreamConnection;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Framing of iperf3's control connection: single signed state bytes, the 37-byte cookie, and JSON messages sent as a
 * 4-byte big-endian length followed by the unformatted JSON text (no terminator). Every read has a deadline; a peer
 * that closes, stalls, or sends a message over the size limit ends in an {@link Iperf3ProtocolException}.
 *
 * <p>Used by one thread at a time. Not a hot path: JSON texts are small and built on the heap.
 */
public final class ControlChannel implements AutoCloseable {
    /** iperf3 3.16+ caps the parameters JSON at 8 KiB (MAX_PARAMS_JSON_STRING); 3.12 has no cap at all. */
    public static final int PARAMS_LIMIT = 8 * 1024;
    /** Results may carry the server's whole output ({@code --get-server-output}), so they get a larger cap. */
    public static final int RESULTS_LIMIT = 16 * 1024 * 1024;

    static final ObjectMapper JSON = new ObjectMapper();
    private static final int CHUNK = 64 * 1024;

    private final StreamConnection connection;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer = arena.allocate(CHUNK);

    public ControlChannel(StreamConnection connection) {
        this.connection = connection;
    }

    public StreamConnection connection() {
        return connection;
    }

    public void writeState(byte state, int timeoutMillis) throws IOException {
        writeBytes(new byte[] {state}, timeoutMillis, "state " + ControlState.name(state));
    }

    /** Reads one state byte, failing when none comes within {@code timeoutMillis}. */
    public byte readState(int timeoutMillis, String waitingFor) throws IOException {
        return readBytes(1, timeoutMillis, waitingFor)[0];
    }

    /**
     * Reads one state byte if one arrives within {@code timeoutMillis}; returns {@link Integer#MIN_VALUE} when none
     * came. End of stream is an error.
     */
    public int pollState(int timeoutMillis, String waitingFor) throws IOException {
        int n = connection.read(buffer, 0, 1, timeoutMillis);
        if (n == StreamConnection.EOF) {
            throw new Iperf3ProtocolException("the peer closed the control connection while waiting for " + waitingFor);
        }
        return n == 0 ? Integer.MIN_VALUE : buffer.get(ValueLayout.JAVA_BYTE, 0);
    }

    public void writeCookie(Cookie cookie, int timeoutMillis) throws IOException {
        writeBytes(cookie.wire(), timeoutMillis, "cookie");
    }

    /** Reads 37 bytes and checks they are a cookie. */
    public Cookie readCookie(int timeoutMillis) throws IOException {
        byte[] wire = readBytes(Cookie.SIZE, timeoutMillis, "the cookie");
        Cookie cookie = Cookie.parse(wire);
        if (cookie == null) {
            throw new Iperf3ProtocolException("bad cookie (not 36 characters [a-z2-7] and a NUL)");
        }
        return cookie;
    }

    /** Writes a JSON message: 4-byte big-endian length, then the unformatted text. */
    public void writeJson(ObjectNode json, int timeoutMillis) throws IOException {
        byte[] text;
        try {
            text = JSON.writeValueAsBytes(json);
        } catch (JsonProcessingException e) {
            throw new Iperf3ProtocolException("cannot encode JSON: " + e.getOriginalMessage(), e);
        }
        byte[] framed = new byte[4 + text.length];
        framed[0] = (byte) (text.length >>> 24);
        framed[1] = (byte) (text.length >>> 16);
        framed[2] = (byte) (text.length >>> 8);
        framed[3] = (byte) text.length;
        System.arraycopy(text, 0, framed, 4, text.length);
        writeBytes(framed, timeoutMillis, "JSON");
    }

    /** Reads a JSON message of at most {@code limit} bytes whose top level must be an object. */
    public ObjectNode readJson(int limit, int timeoutMillis, String what) throws IOException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        byte[] prefix = readBytes(4, remainingMillis(deadline), what + " length");
        long length = ((prefix[0] & 0xFFL) << 24) | ((prefix[1] & 0xFF) << 16) | ((prefix[2] & 0xFF) << 8)
                | (prefix[3] & 0xFF);
        if (length == 0 || length > limit) {
            throw new Iperf3ProtocolException(what + " length " + length + " is out of range (1.." + limit + " bytes)");
        }
        byte[] text = readBytes((int) length, remainingMillis(deadline), what);
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new Iperf3ProtocolException(what + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (!(node instanceof ObjectNode object)) {
            throw new Iperf3ProtocolException(what + " is not a JSON object");
        }
        return object;
    }

    /** Writes raw bytes (the SERVER_ERROR codes). */
    public void writeInt(int value, int timeoutMillis) throws IOException {
        writeBytes(new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value},
                timeoutMillis, "error code");
    }

    public int readInt(int timeoutMillis, String what) throws IOException {
        byte[] b = readBytes(4, timeoutMillis, what);
        return ((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
    }

    byte[] readBytes(int length, int timeoutMillis, String what) throws IOException {
        byte[] out = new byte[length];
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        int done = 0;
        while (done < length) {
            int wait = remainingMillis(deadline);
            if (wait <= 0) {
                throw new Iperf3ProtocolException("timed out after " + timeoutMillis + " ms waiting for " + what);
            }
            int n = connection.read(buffer, 0, Math.min(CHUNK, length - done), wait);
            if (n == StreamConnection.EOF) {
                throw new Iperf3ProtocolException("the peer closed the control connection while sending " + what
                        + (done > 0 ? " (" + done + " of " + length + " bytes came)" : ""));
            }
            MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, 0, out, done, n);
            done += n;
        }
        return out;
    }

    private void writeBytes(byte[] bytes, int timeoutMillis, String what) throws IOException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        int done = 0;
        while (done < bytes.length) {
            int wait = remainingMillis(deadline);
            if (wait <= 0) {
                throw new Iperf3ProtocolException("timed out after " + timeoutMillis + " ms sending " + what);
            }
            int chunk = Math.min(CHUNK, bytes.length - done);
            MemorySegment.copy(bytes, done, buffer, ValueLayout.JAVA_BYTE, 0, chunk);
            int off = 0;
            while (off < chunk) {
                int n = connection.write(buffer, off, chunk - off, remainingMillis(deadline));
                if (n == 0 && remainingMillis(deadline) <= 0) {
                    throw new Iperf3ProtocolException("timed out after " + timeoutMillis + " ms sending " + what);
                }
                off += n;
            }
            done += chunk;
        }
    }

    private static int remainingMillis(long deadlineNanos) {
        long left = deadlineNanos - System.nanoTime();
        return left <= 0 ? 0 : (int) Math.max(1, Math.min(Integer.MAX_VALUE, left / 1_000_000L));
    }

    /** Closes the connection and frees the buffer. */
    @Override
    public void close() {
        connection.close();
        arena.close();
    }
}
