package dev.tapir.cli;

/** A mistake the user can fix; printed as one line, never with a stack trace. */
final class UserError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UserError(String message) {
        super(message);
    }
}
