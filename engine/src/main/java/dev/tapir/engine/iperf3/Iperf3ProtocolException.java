package dev.tapir.engine.iperf3;

import java.io.IOException;

/**
 * The peer broke the iperf3 control protocol or went away: bad cookie, oversized or invalid JSON, unknown state,
 * early close, or silence past a timeout. The message is one line meant for the user; no stack trace is needed.
 */
public class Iperf3ProtocolException extends IOException {
    private static final long serialVersionUID = 1L;

    public Iperf3ProtocolException(String message) {
        super(message);
    }

    public Iperf3ProtocolException(String message, Throwable cause) {
        super(message, cause);
    }
}
