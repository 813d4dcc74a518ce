package io.dfmigrate.localstack;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** Port helpers: a free random port for tests, and a fail-fast check that names the port. */
public final class Ports {
    public static int free() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port: " + e.getMessage(), e);
        }
    }

    /** Throws naming {@code what} and the port (and the variable to change it) when something listens there. */
    public static void requireFree(int port, String what, String variable) {
        if (isListening(port)) {
            throw new StackException("port " + port + " (" + what + ") is already in use; set " + variable + " to another port");
        }
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("0.0.0.0", port));
        } catch (IOException e) {
            throw new StackException("port " + port + " (" + what + ") cannot be bound (" + e.getMessage() + "); set " + variable + " to another port");
        }
    }

    public static boolean isListening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private Ports() {
    }
}
