package io.dfmigrate.localstack;

/** The local stack cannot start; the message says what to do. */
public class StackException extends RuntimeException {
    public StackException(String message) {
        super(message);
    }

    public StackException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The process could not bind its port: another process took it (between picking a free port and binding it). */
    public boolean portTaken() {
        String m = getMessage();
        return m != null && (m.contains("Address already in use") || m.contains("seems to be in use") || m.contains("could not bind"));
    }

    /** A server that binds ports picked at random (tests). */
    @FunctionalInterface
    public interface PortedStart<T> {
        T start(int port, int otherPort);
    }

    /**
     * Starts on free ports, and on others when a busy machine took one before the server bound it (three tries): a test
     * never depends on being alone on the machine.
     */
    public static <T> T onFreePorts(PortedStart<T> start) {
        for (int attempt = 1; ; attempt++) {
            try {
                return start.start(Ports.free(), Ports.free());
            } catch (StackException e) {
                if (!e.portTaken() || attempt >= 3) {
                    throw e;
                }
            }
        }
    }
}
