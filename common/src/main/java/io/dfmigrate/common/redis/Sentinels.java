package io.dfmigrate.common.redis;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;

/**
 * A Sentinel-managed source: the URI names a Sentinel and {@code sentinel-master} the master it monitors. Every
 * connection asks the Sentinel which server is the master at that moment ({@code SENTINEL get-master-addr-by-name}) and
 * goes there with the URI's credentials and TLS settings. So after a failover every new connection reaches the new
 * master: the capture, whose subscription the old master's end (or its demotion, which closes its clients) broke,
 * subscribes again there and asks for a reconciliation; pooled connections fail, are dropped and are made again.
 */
public final class Sentinels {
    private Sentinels() {
    }

    /** The endpoint to connect to: {@code endpoint} itself, or, when it names a Sentinel, the master the Sentinel names now. */
    public static RedisEndpoint current(RedisEndpoint endpoint, Duration timeout) {
        return endpoint.sentinelMaster() == null ? endpoint : master(endpoint, timeout);
    }

    private static RedisEndpoint master(RedisEndpoint endpoint, Duration timeout) {
        RedisEndpoint sentinel = endpoint.sentinel();
        String name = endpoint.sentinelMaster();
        String where = "Sentinel " + sentinel.address();
        try (Socket socket = SourceSocket.connect(sentinel, BlockingRedis.checkedAddress(sentinel), timeout)) {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            if (sentinel.password() != null) {
                String reply = sentinel.user() == null ? SourceSocket.command(out, in, "AUTH", sentinel.password())
                        : SourceSocket.command(out, in, "AUTH", sentinel.user(), sentinel.password());
                if (reply.startsWith("-")) {
                    throw new RedisCommandException(where + " refused the Sentinel credentials (" + code(reply) + ")");
                }
            }
            String head = SourceSocket.command(out, in, "SENTINEL", "get-master-addr-by-name", name);
            if (head.startsWith("-")) {
                throw new RedisCommandException(where + " answered SENTINEL get-master-addr-by-name with " + code(head)
                        + (head.startsWith("-NOAUTH") || head.startsWith("-WRONGPASS") ? ": give the Sentinel's credentials (sentinelPassword)"
                        : ": is " + sentinel.address() + " a Sentinel (redis-server --sentinel, usually port 26379)?"));
            }
            if (!head.equals("*2")) {
                throw new RedisCommandException(where + " monitors no master named '" + name + "' (SENTINEL masters lists the names)");
            }
            String host = bulk(in);
            String port = bulk(in);
            try {
                return endpoint.atMaster(host, Integer.parseInt(port));
            } catch (RuntimeException e) {
                throw new RedisCommandException(where + " named master '" + name + "' at an address that is not usable: " + host + ":" + port);
            }
        } catch (IOException e) {
            throw new RedisCommandException(where + " did not answer which server is master '" + name + "': " + e.getMessage(), e);
        }
    }

    private static String bulk(InputStream in) throws IOException {
        String len = SourceSocket.line(in);
        if (!len.startsWith("$")) {
            throw new IOException("unexpected reply " + len);
        }
        return SourceSocket.line(in);
    }

    /** The error's code (-ERR, -NOAUTH …), without the rest of the message. */
    private static String code(String reply) {
        int space = reply.indexOf(' ');
        return space < 0 ? reply : reply.substring(0, space);
    }
}
