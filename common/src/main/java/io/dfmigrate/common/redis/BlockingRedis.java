package io.dfmigrate.common.redis;

import io.dfmigrate.common.endpoint.EndpointPolicy;
import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.impl.types.ErrorType;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;

/**
 * One dedicated connection to one database of a Redis endpoint, with blocking calls meant for virtual threads
 * (never the event loop). Every call has a timeout. {@link #pipeline(List)} writes all commands before reading any
 * reply and reports each reply or error on its own, so one failed key does not fail its batch.
 */
public final class BlockingRedis implements AutoCloseable {
    private final Vertx vertx;
    private final RedisEndpoint endpoint;
    private final int db;
    private final Redis client;
    private final Context context;
    private final RedisConnection connection;
    private final Duration timeout;
    private volatile DumpPayload.Format payloadFormat;
    private volatile boolean payloadFormatAsked;
    /** The connection of {@link #write}, made at its first call; guarded by this. */
    private WritePipeline writes;

    private BlockingRedis(Vertx vertx, RedisEndpoint endpoint, int db, Redis client, Context context, RedisConnection connection,
                          Duration timeout) {
        this.vertx = vertx;
        this.endpoint = endpoint;
        this.db = db;
        this.client = client;
        this.context = context;
        this.connection = connection;
        this.timeout = timeout;
    }

    /**
     * Connects and selects {@code db}; fails with a message naming the endpoint and the cause. An endpoint that names a
     * Sentinel connects to the master it names now ({@link Sentinels}), and {@link #endpoint()} is that master.
     */
    public static BlockingRedis connect(Vertx vertx, RedisEndpoint given, int db, Duration timeout) {
        RedisEndpoint endpoint = Sentinels.current(given, timeout);
        RedisOptions options = options(endpoint, db, timeout);
        Redis client = Redis.createClient(vertx, options);
        // the connection is made, and every later call is issued, on this context's event loop (see onContext)
        Context context = vertx.getOrCreateContext();
        try {
            RedisConnection connection = await(onContext(context, client::connect), timeout, endpoint, "connect");
            connection.exceptionHandler(t -> { /* surfaced by the next call */ });
            return new BlockingRedis(vertx, endpoint, db, client, context, connection, timeout);
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    /**
     * Client options for one database of an endpoint: credentials, TLS, connect timeout. Every connection of every
     * service is made with these, so this is where {@link EndpointPolicy} refuses an endpoint, before any connection.
     */
    /**
     * The address {@link EndpointPolicy} allowed for the endpoint, resolved once: every connection goes to it, so the
     * name cannot be resolved again to an address the policy would refuse (DNS rebinding). Refusals name the endpoint.
     */
    public static InetAddress checkedAddress(RedisEndpoint endpoint) {
        try {
            return EndpointPolicy.current().require(endpoint).get(0);
        } catch (EndpointPolicy.NotAllowedException e) {
            throw new RedisCommandException(endpoint.address() + ": not allowed: " + e.getMessage(), e);
        }
    }

    /** The TLS server name of an endpoint: its {@code sni=}, else its host when that is a name (not an IP literal), else null. */
    public static String serverName(RedisEndpoint endpoint) {
        if (endpoint.sni() != null) {
            return endpoint.sni();
        }
        String host = endpoint.host();
        return host.contains(":") || host.chars().noneMatch(Character::isLetter) ? null : host;
    }

    /** The PEM of the endpoint's {@code ?ca=} file, as the policy allows it to be read ({@code DFM_CA_DIR}). */
    public static String caFile(RedisEndpoint endpoint) {
        try {
            return EndpointPolicy.current().caFile(endpoint.caFile());
        } catch (EndpointPolicy.NotAllowedException e) {
            throw new RedisCommandException(endpoint.address() + ": not allowed: " + e.getMessage(), e);
        }
    }

    static String literal(InetAddress address) {
        String a = address.getHostAddress();
        return address instanceof java.net.Inet6Address ? "[" + a + "]" : a;
    }

    public static RedisOptions options(RedisEndpoint given, int db, Duration timeout) {
        RedisEndpoint endpoint = Sentinels.current(given, timeout); // a Sentinel's master: the one it names now
        InetAddress checked = checkedAddress(endpoint);
        // The client URL-decodes user and password from the connection string; RedisEndpoint encodes them. It connects to
        // the address the policy checked, not to the name again (which a DNS answer could point elsewhere in between).
        String conn = (endpoint.tls() ? "rediss://" : "redis://") + endpoint.userInfo() + literal(checked) + ":" + endpoint.port() + "/" + db;
        RedisOptions options = new RedisOptions()
                .setConnectionString(conn)
                .setMaxPoolSize(1)
                .setMaxPoolWaiting(16)
                .setMaxWaitingHandlers(65_536);
        NetClientOptions net = new NetClientOptions()
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))
                .setTcpNoDelay(true)
                .setTcpKeepAlive(true);
        if (endpoint.tls()) {
            net.setSsl(true);
            // the name presented (SNI) and checked in the certificate: ?sni= when given, else the URI's host name
            String serverName = serverName(endpoint);
            if (serverName != null) {
                net.setSslEngineOptions(new ServerNameEngineOptions(serverName));
            }
            if (endpoint.verifyPeer()) {
                net.setHostnameVerificationAlgorithm("HTTPS");
                if (endpoint.caPem() != null) {
                    net.setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(endpoint.caPem())));
                } else if (endpoint.caFile() != null) {
                    net.setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(caFile(endpoint))));
                }
            } else {
                net.setTrustAll(true).setHostnameVerificationAlgorithm("");
            }
        }
        options.setNetClientOptions(net);
        return options;
    }

    public RedisEndpoint endpoint() {
        return endpoint;
    }

    public int db() {
        return db;
    }

    /**
     * The server's DUMP payload format ({@code INFO server}: RDB version, accepted type bytes), asked once per connection;
     * null when it cannot tell.
     */
    public DumpPayload.Format payloadFormat() {
        if (!payloadFormatAsked) {
            try {
                Response info = send(Request.cmd(Command.INFO).arg("server"));
                payloadFormat = DumpPayload.Format.of(info == null ? null : info.toString());
            } catch (RedisCommandException e) {
                payloadFormat = null;
            }
            payloadFormatAsked = true;
        }
        return payloadFormat;
    }

    public Response send(Request request) {
        return await(onContext(context, () -> connection.send(request)), timeout, endpoint, commandName(request));
    }

    /**
     * Issues a client call on {@code context} (the connection's own): the client then runs it at once on its event loop,
     * inside that context. Called from a virtual thread, the client would hand each call to the event loop with no
     * context, where every command of a pipeline made itself a new Vert.x context (about 350 bytes of garbage per
     * command: 1M RESTOREs, 350 MB).
     */
    static <T> Future<T> onContext(Context context, Supplier<Future<T>> call) {
        Promise<T> promise = Promise.promise();
        context.runOnContext(v -> {
            try {
                call.get().onComplete(promise);
            } catch (RuntimeException e) {
                promise.tryFail(e);
            }
        });
        return promise.future();
    }

    /**
     * Sends all requests as one pipeline and returns each outcome in order. Fast path: one encoded write for the whole
     * pipeline. The client fails such a batch as a whole when any reply is an error; then, and only for Redis error
     * replies (not for a broken connection), the same requests are sent again one by one to learn which failed. Every
     * command this engine pipelines is idempotent (reads, RESTORE … REPLACE, DEL), so the repetition is harmless.
     */
    public List<Result> pipeline(List<Request> requests) {
        if (requests.isEmpty()) {
            return List.of();
        }
        Duration budget = timeout.plusMillis(requests.size());
        try {
            List<Response> replies = await(onContext(context, () -> connection.batch(requests)), budget, endpoint, "pipeline of " + requests.size() + " commands");
            List<Result> results = new ArrayList<>(replies.size());
            for (Response r : replies) {
                results.add(new Result(r, null));
            }
            return results;
        } catch (RedisCommandException e) {
            if (!isReplyError(e.getCause())) {
                throw e;
            }
        }
        return oneByOne(requests, budget);
    }

    /**
     * Sends write commands whose replies are a status, an integer or an error (RESTORE, DEL), each an array of arguments
     * with the command name first, as one pipeline on a second connection of this endpoint and database
     * ({@link WritePipeline}: no client objects per command); returns each one's outcome in order (a {@link Result}
     * without a response). Fails as a whole only when the connection does.
     */
    public List<Result> write(List<byte[][]> commands) {
        if (commands.isEmpty()) {
            return List.of();
        }
        String[] errors = writePipeline().send(commands);
        List<Result> results = new ArrayList<>(errors.length);
        for (String error : errors) {
            results.add(error == null ? Result.DONE : new Result(null, error));
        }
        return results;
    }

    private synchronized WritePipeline writePipeline() {
        if (writes == null || writes.broken()) {
            if (writes != null) {
                writes.close();
            }
            writes = WritePipeline.connect(vertx, context, endpoint, db, timeout);
        }
        return writes;
    }

    private List<Result> oneByOne(List<Request> requests, Duration budget) {
        List<Future<Response>> futures = new ArrayList<>(requests.size());
        for (Request r : requests) {
            futures.add(connection.send(r));
        }
        List<Result> results = new ArrayList<>(requests.size());
        long deadline = System.nanoTime() + budget.toNanos();
        for (Future<Response> f : futures) {
            long left = Math.max(1, deadline - System.nanoTime());
            try {
                results.add(new Result(f.toCompletionStage().toCompletableFuture().get(left, TimeUnit.NANOSECONDS), null));
            } catch (ExecutionException e) {
                if (!isReplyError(e.getCause())) {
                    // the connection broke (closed, reset): that is the whole pipeline's failure, never one command's
                    throw new RedisCommandException(endpoint.address() + ": pipeline of " + requests.size() + " commands failed: "
                            + describe(e.getCause() == null ? e : e.getCause()), e.getCause());
                }
                results.add(new Result(null, e.getCause().getMessage()));
            } catch (TimeoutException e) {
                throw new RedisCommandException(endpoint.address() + ": pipeline of " + requests.size()
                        + " commands timed out after " + budget.toMillis() + " ms");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RedisCommandException(endpoint.address() + ": interrupted");
            }
        }
        return results;
    }

    /** A reply ({@code response}, which is null for a nil reply) or a Redis error text ({@code error}). */
    public record Result(Response response, String error) {
        static final Result DONE = new Result(null, null);

        /** A server's error text goes into failures, events and the API: cut to {@value #MAX_ERROR} characters, one line. */
        public Result {
            error = cut(error);
        }

        public boolean ok() {
            return error == null;
        }
    }

    private static String commandName(Request request) {
        return request.command().toString();
    }

    public static <T> T await(Future<T> future, Duration timeout, RedisEndpoint endpoint, String what) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new RedisCommandException(endpoint.address() + ": " + what + " failed: " + describe(cause), cause);
        } catch (TimeoutException e) {
            throw new RedisCommandException(endpoint.address() + ": " + what + " timed out after " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RedisCommandException(endpoint.address() + ": interrupted during " + what);
        }
    }

    /**
     * Whether a failure is an error reply of the server about this command ({@code WRONGTYPE …}, {@code ERR …}), as opposed
     * to one the client raises itself for a broken connection ({@code CONNECTION_CLOSED}, {@code ILLEGAL_STATE}), which
     * fails every command in flight and so is never one key's problem.
     */
    public static boolean isReplyError(Throwable t) {
        if (!(t instanceof ErrorType)) {
            return false;
        }
        String m = t.getMessage() == null ? "" : t.getMessage();
        return !m.startsWith("CONNECTION_CLOSED") && !m.startsWith("ILLEGAL_STATE");
    }

    /** The most characters of a server's reply text kept in an error (a server may say anything, at any length). */
    static final int MAX_ERROR = 300;

    /** {@code text} on one line and at most {@value #MAX_ERROR} characters (null stays null). */
    public static String cut(String text) {
        if (text == null) {
            return null;
        }
        String line = text.replaceAll("[\\r\\n\\t\\x00-\\x1f]+", " ");
        return line.length() <= MAX_ERROR ? line : line.substring(0, MAX_ERROR) + "… (" + line.length() + " characters)";
    }

    /** A short, password-free description of a connection or command failure. */
    public static String describe(Throwable t) {
        return cut(describeUncut(t));
    }

    private static String describeUncut(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c.getClass().getSimpleName().contains("Timeout")) {
                return "connect timed out";
            }
            if (c instanceof ConnectException) {
                return "connection refused";
            }
            if (c instanceof UnknownHostException) {
                return "unknown host";
            }
            if (c instanceof NoRouteToHostException) {
                return "no route to host";
            }
            if (c instanceof SSLException) {
                return "TLS handshake failed (" + (c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage()) + ")";
            }
        }
        String msg = t.getMessage();
        if (msg == null || msg.isBlank()) {
            return t.getClass().getSimpleName();
        }
        if (msg.contains("RESP") && !msg.startsWith("ERR")) {
            // never echo what a non-Redis server sent: it could be anything (an HTTP page, a metadata service's answer)
            return "the server does not speak the Redis protocol (not a Redis port, or it expects TLS: rediss://)";
        }
        return msg;
    }

    @Override
    public void close() {
        try {
            connection.close();
        } finally {
            client.close();
            synchronized (this) {
                if (writes != null) {
                    writes.close();
                }
            }
        }
    }
}
