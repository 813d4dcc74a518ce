package io.dfmigrate.common.redis;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.netty.buffer.Unpooled;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.parsetools.RecordParser;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The key-sync engine's write pipelines (RESTORE, DEL) on a connection of their own: each pipeline is encoded by the
 * calling thread into one buffer of exactly its size and written at once; the replies (status, error, integer: what these
 * commands answer) are matched to it in order on the connection's event loop. The Vert.x Redis client would build a
 * Request, copy every argument twice and keep a future and a parsed Response per command: measured on 1M RESTOREs, a
 * fifth of the copier's CPU and most of its garbage (docs/benchmarks.md). Everything else keeps the client.
 *
 * <p>The connection is made with the client's own options ({@link BlockingRedis#options}: TLS, SNI, CA, the endpoint
 * policy), authenticates (AUTH) and selects the database. Several threads may send at once; a broken connection fails
 * what is in flight, and the next pipeline connects again.
 */
final class WritePipeline implements AutoCloseable {
    private static final byte[] CRLF = {'\r', '\n'};
    /** The connection's name on the server. */
    static final String NAME = "dfmigrate-writes";

    /** A pipeline in flight: one outcome per command (null: done without error), completed when all replies are in. */
    private static final class InFlight {
        final String[] errors;
        final Promise<String[]> done = Promise.promise();
        int replies;

        InFlight(int commands) {
            errors = new String[commands];
        }
    }

    private final RedisEndpoint endpoint;
    private final NetClient client;
    private final Context context;
    private final NetSocket socket;
    private final Duration timeout;
    /** Touched on the context only. */
    private final ArrayDeque<InFlight> inFlight = new ArrayDeque<>();
    private volatile boolean broken;

    private WritePipeline(RedisEndpoint endpoint, NetClient client, Context context, NetSocket socket, Duration timeout) {
        this.endpoint = endpoint;
        this.client = client;
        this.context = context;
        this.socket = socket;
        this.timeout = timeout;
    }

    static WritePipeline connect(Vertx vertx, Context context, RedisEndpoint endpoint, int db, Duration timeout) {
        // with sni=…, the name presented and the one the certificate is checked against (as on the client's connections)
        String serverName = endpoint.sni() != null ? endpoint.sni() : endpoint.host();
        NetClient client = vertx.createNetClient(BlockingRedis.options(endpoint, db, timeout).getNetClientOptions());
        // the address the endpoint policy checked, not the name resolved again
        String address = BlockingRedis.checkedAddress(endpoint).getHostAddress();
        try {
            NetSocket socket = BlockingRedis.await(BlockingRedis.onContext(context,
                    () -> client.connect(SocketAddress.inetSocketAddress(endpoint.port(), address), serverName)),
                    timeout, endpoint, "connect");
            WritePipeline pipe = new WritePipeline(endpoint, client, context, socket, timeout);
            pipe.start();
            List<byte[][]> hello = new ArrayList<>(3);
            if (endpoint.password() != null) {
                hello.add(endpoint.user() == null ? args("AUTH", endpoint.password()) : args("AUTH", endpoint.user(), endpoint.password()));
            }
            if (db != 0) {
                hello.add(args("SELECT", Integer.toString(db)));
            }
            hello.add(args("CLIENT", "SETNAME", NAME)); // in CLIENT LIST: what this connection is
            String[] replies = pipe.send(hello);
            for (int i = 0; i < replies.length; i++) {
                if (replies[i] != null && i < replies.length - 1) { // a server without CLIENT SETNAME is no reason to fail
                    pipe.close();
                    // the server's error code only: never the command, which carries the password
                    throw new RedisCommandException(endpoint.address() + ": " + (i == 0 && endpoint.password() != null ? "AUTH" : "SELECT")
                            + " refused (" + replies[i].split(" ", 2)[0] + ")");
                }
            }
            return pipe;
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    private static byte[][] args(String... args) {
        byte[][] out = new byte[args.length][];
        for (int i = 0; i < args.length; i++) {
            out[i] = args[i].getBytes(StandardCharsets.UTF_8);
        }
        return out;
    }

    private void start() {
        RecordParser parser = RecordParser.newDelimited(Buffer.buffer(CRLF));
        parser.handler(this::onRecord);
        socket.handler(parser);
        socket.exceptionHandler(t -> fail(BlockingRedis.describe(t)));
        socket.closeHandler(v -> fail("connection closed"));
    }

    boolean broken() {
        return broken;
    }

    /**
     * Sends the commands (each an array of arguments, the command name first) as one pipeline; returns each one's error
     * reply, or null where it succeeded. Fails as a whole only when the connection does (closed, timed out).
     */
    String[] send(List<byte[][]> commands) {
        if (broken) {
            throw new RedisCommandException(endpoint.address() + ": the write connection is closed");
        }
        Buffer encoded = encode(commands);
        InFlight pipeline = new InFlight(commands.size());
        context.runOnContext(v -> {
            if (broken) {
                pipeline.done.tryFail(new RedisCommandException(endpoint.address() + ": the write connection is closed"));
                return;
            }
            inFlight.add(pipeline); // in the order of the writes: both happen here, on the context
            socket.write(encoded);
        });
        try {
            return BlockingRedis.await(pipeline.done.future(), timeout.plusMillis(commands.size()), endpoint,
                    "pipeline of " + commands.size() + " commands");
        } catch (RedisCommandException e) {
            close(); // a reply that is late must not be matched to the next pipeline
            throw e;
        }
    }

    /** RESP arrays of bulk strings, in one buffer of exactly their size. */
    static Buffer encode(List<byte[][]> commands) {
        int size = 0;
        for (byte[][] command : commands) {
            size += 1 + digits(command.length) + 2;
            for (byte[] arg : command) {
                size += 1 + digits(arg.length) + 2 + arg.length + 2;
            }
        }
        byte[] out = new byte[size];
        int at = 0;
        for (byte[][] command : commands) {
            at = header(out, at, (byte) '*', command.length);
            for (byte[] arg : command) {
                at = header(out, at, (byte) '$', arg.length);
                System.arraycopy(arg, 0, out, at, arg.length);
                at += arg.length;
                out[at++] = '\r';
                out[at++] = '\n';
            }
        }
        return Buffer.buffer(Unpooled.wrappedBuffer(out)); // Buffer.buffer(byte[]) would copy it
    }

    private static int header(byte[] out, int at, byte type, int n) {
        out[at++] = type;
        int end = at + digits(n);
        for (int i = end - 1, v = n; i >= at; i--, v /= 10) {
            out[i] = (byte) ('0' + v % 10);
        }
        out[end] = '\r';
        out[end + 1] = '\n';
        return end + 2;
    }

    private static int digits(int n) {
        if (n < 10) {
            return 1;
        }
        if (n < 100) {
            return 2;
        }
        if (n < 1000) {
            return 3;
        }
        return n < 10_000 ? 4 : Integer.toString(n).length();
    }

    /** One reply line, on the context. */
    private void onRecord(Buffer record) {
        InFlight head = inFlight.peek();
        if (head == null) {
            fail("a reply that no command asked for");
            return;
        }
        byte type = record.length() == 0 ? 0 : record.getByte(0);
        switch (type) {
            case '+', ':' -> reply(head, null);
            case '-' -> reply(head, record.getString(1, record.length(), "UTF-8"));
            // AUTH, SELECT, RESTORE and DEL answer with nothing else
            default -> fail("an unexpected reply of type '" + (char) type + "'");
        }
    }

    private void reply(InFlight head, String error) {
        head.errors[head.replies++] = error;
        if (head.replies == head.errors.length) {
            inFlight.poll();
            head.done.tryComplete(head.errors);
        }
    }

    /** The connection failed: everything in flight fails, and so does every later pipeline. */
    private void fail(String why) {
        broken = true;
        RedisCommandException e = new RedisCommandException(endpoint.address() + ": write pipeline failed: " + why);
        for (InFlight p = inFlight.poll(); p != null; p = inFlight.poll()) {
            p.done.tryFail(e);
        }
        socket.close();
    }

    @Override
    public void close() {
        broken = true;
        context.runOnContext(v -> fail("closed"));
        client.close();
    }
}
