package io.dfmigrate.localstack;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/** Port helpers: a free random port for tests, and a fail-fast check that names the port. */
public final class Ports {
    private static final int LOWEST = 10_000;
    private static final AtomicInteger NEXT = new AtomicInteger(-1);

    /**
     * A port nothing listens on, below the kernel's ephemeral range ({@code ip_local_port_range}): a port from that range
     * can be taken by any outgoing connection between the moment it is handed out and the moment a server binds it (seen as
     * "port … in use" on a busy CI box). Ports are handed out in turn from a random start, so a JVM never gets one twice
     * and two JVMs rarely meet; one that cannot be bound on every interface is skipped.
     */
    public static int free() {
        int top = ephemeralLow() - 1;
        int span = top - LOWEST + 1;
        if (span < 1000) {
            return kernelChosen();
        }
        NEXT.compareAndSet(-1, ThreadLocalRandom.current().nextInt(span));
        for (int i = 0; i < span; i++) {
            int port = LOWEST + Math.floorMod(NEXT.getAndIncrement(), span);
            if (bindable(port)) {
                return port;
            }
        }
        return kernelChosen();
    }

    private static boolean bindable(int port) {
        try (ServerSocket any = new ServerSocket(); ServerSocket loop = new ServerSocket()) {
            any.bind(new InetSocketAddress("0.0.0.0", port));
            any.close();
            loop.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int ephemeralLow() {
        try {
            String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
            return Integer.parseInt(range.split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 32768; // Linux's default
        }
    }

    private static int kernelChosen() {
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
