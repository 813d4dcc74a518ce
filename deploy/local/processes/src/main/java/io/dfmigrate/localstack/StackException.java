package io.dfmigrate.localstack;

/** The local stack cannot start; the message says what to do. */
public class StackException extends RuntimeException {
    public StackException(String message) {
        super(message);
    }

    public StackException(String message, Throwable cause) {
        super(message, cause);
    }
}
