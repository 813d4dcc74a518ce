package io.dfmigrate.common.endpoint;

/** A Redis URI that cannot be used; the message never contains the password. */
public class InvalidEndpointException extends IllegalArgumentException {
    public InvalidEndpointException(String message) {
        super(message);
    }
}
