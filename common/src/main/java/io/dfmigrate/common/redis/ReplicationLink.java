package io.dfmigrate.common.redis;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A replica link to a source (sync mode, DESIGN §13): the PSYNC2 handshake, the snapshot of a full sync, then the
 * replication stream as the source's own commands, each unit with the offset after its last byte. {@code SELECT} is
 * tracked (every command carries its database), {@code PING} and {@code REPLCONF} are consumed (a {@code GETACK} is
 * answered) and give units without commands so the offset moves on, {@code MULTI}…{@code EXEC} is one unit. A link
 * resumed from a {@link Position} asks {@code PSYNC <replid> <offset + 1>}: the source answers {@code +CONTINUE} and the
 * stream goes on from there, or, when its backlog no longer holds that offset, a full sync: a new epoch
 * ({@link #fullSync()}), whose snapshot must be read first.
 *
 * <p>One reader thread calls {@link #snapshot()} and {@link #next()}; {@link #ack} may be called from another thread.
 * Never leave the link unread for long: the source drops a replica whose output buffer passes its
 * {@code client-output-buffer-limit replica}, and one silent for {@code repl-timeout} (send {@link #ack} every second).
 */
public final class ReplicationLink implements AutoCloseable {
    /** Where a stream stands: the source's replication id and the offset of the last byte consumed. */
    public record Position(String replid, long offset) {
    }

    /** One command of the stream with the database it applies to. */
    public record Op(int db, byte[][] args) {
        public String name() {
            return new String(args[0], StandardCharsets.US_ASCII).toUpperCase(Locale.ROOT);
        }

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder("db").append(db);
            for (byte[] a : args) {
                b.append(' ').append(KeySync.printable(a));
            }
            return b.toString();
        }
    }

    /**
     * One unit of the stream in source order: one command, or a MULTI/EXEC block's commands ({@code transaction}); no
     * command for what only moves the offset (PING, REPLCONF). {@code offset}: the stream's offset after the unit;
     * {@code db}: the database the stream is in after it (what a resume from {@code offset} starts in).
     */
    public record Entry(long offset, int db, List<Op> ops, boolean transaction) {
    }

    /** The most arguments and bytes one stream command may have before the link calls the stream broken. */
    static final int MAX_ARGS = 1 << 24;
    static final long MAX_BULK = 1L << 30;

    private final RedisEndpoint source;
    private final Socket socket;
    private final OutputStream out;
    private final boolean full;
    private final String replid;
    private final long startOffset;
    private final InputStream raw;
    private SnapshotStream snapshot;
    private Counting stream;
    private int db;
    private final Object writeLock = new Object();
    /** The offset {@code REPLCONF ACK} reports, every second ({@link #ack}); -1 until the stream starts. */
    private volatile long acked = -1;
    private volatile boolean closed;

    private ReplicationLink(RedisEndpoint source, Socket socket, InputStream raw, OutputStream out, boolean full, String replid,
                            long startOffset, int db) {
        this.source = source;
        this.socket = socket;
        this.raw = raw;
        this.out = out;
        this.full = full;
        this.replid = replid;
        this.startOffset = startOffset;
        this.db = db;
    }

    /**
     * Connects to {@code source} (a Sentinel's master: the one it names now; credentials, TLS, SNI and CA as every
     * connection) and asks for the stream from {@code resume} (null: a full sync). {@code resumeDb}: the database the
     * stream was in at that offset (the source does not repeat {@code SELECT} after {@code +CONTINUE}). {@code timeout}
     * bounds connecting and every read: more than the source's {@code repl-ping-replica-period} (10 s), since an idle
     * stream carries only its PINGs.
     */
    public static ReplicationLink open(RedisEndpoint source, Position resume, int resumeDb, Duration timeout) {
        RedisEndpoint server = Sentinels.current(source, timeout);
        java.net.InetAddress checked = BlockingRedis.checkedAddress(server);
        Socket socket = null;
        try {
            socket = SourceSocket.connect(server, checked, timeout);
            InputStream in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
            OutputStream out = socket.getOutputStream();
            if (server.password() != null) {
                String reply = server.user() == null ? SourceSocket.command(out, in, "AUTH", server.password())
                        : SourceSocket.command(out, in, "AUTH", server.user(), server.password());
                if (reply.startsWith("-")) {
                    throw new RedisCommandException(server.address() + ": the source refused the credentials (" + errorCode(reply) + ")");
                }
            }
            String capa = SourceSocket.command(out, in, "REPLCONF", "capa", "eof", "capa", "psync2");
            if (!capa.startsWith("+")) {
                throw refused(server, "REPLCONF", capa);
            }
            String sync = resume == null ? SourceSocket.command(out, in, "PSYNC", "?", "-1")
                    : SourceSocket.command(out, in, "PSYNC", resume.replid(), Long.toString(resume.offset() + 1));
            while (sync.isEmpty()) {
                sync = SourceSocket.line(in); // keep-alive newlines while the source prepares (repl-diskless-sync-delay)
            }
            ReplicationLink link;
            if (sync.startsWith("+FULLRESYNC")) {
                String[] parts = sync.split(" ");
                if (parts.length < 3) {
                    throw refused(server, "PSYNC", sync);
                }
                link = new ReplicationLink(server, socket, in, out, true, parts[1], Long.parseLong(parts[2]), 0);
                link.snapshot = new SnapshotStream(in);
            } else if (sync.startsWith("+CONTINUE") && resume != null) {
                String[] parts = sync.split(" ");
                String id = parts.length > 1 && !parts[1].isBlank() ? parts[1] : resume.replid();
                link = new ReplicationLink(server, socket, in, out, false, id, resume.offset(), resumeDb);
                link.stream = new Counting(in);
            } else {
                throw refused(server, "PSYNC", sync);
            }
            return link;
        } catch (IOException e) {
            close(socket);
            throw new RedisCommandException(server.address() + ": the replica link could not be opened: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            close(socket);
            throw e;
        }
    }

    /** True when the source answered with a full sync: the snapshot comes first, and it starts a new epoch. */
    public boolean fullSync() {
        return full;
    }

    /** The replication id and offset the stream started at (after the snapshot of a full sync, or the resumed one). */
    public Position start() {
        return new Position(replid, startOffset);
    }

    /** The offset of the last byte read from the stream (PINGs included): what a resume continues after. */
    public Position position() {
        return new Position(replid, stream == null ? startOffset : startOffset + stream.count);
    }

    /** The database the stream is in now (for a checkpoint with {@link #position()}). */
    public int db() {
        return db;
    }

    /**
     * The snapshot of a full sync (an RDB file's bytes, ending at its end: on disk {@code $<length>}, diskless
     * {@code $EOF:<mark>}); read it to its end before {@link #next()}. Null after a {@code +CONTINUE}.
     */
    public InputStream snapshot() throws IOException {
        if (snapshot == null) {
            return null;
        }
        snapshot.begin();
        return snapshot;
    }

    /**
     * The next unit of the stream; blocks until one arrives (a read times out after the link's timeout: the source is
     * gone, resume with a new link). After a full sync, whatever the caller left of the snapshot is skipped first and
     * the first {@code REPLCONF ACK} is sent (a diskless source sends nothing before it).
     */
    public Entry next() throws IOException {
        if (stream == null) {
            snapshot.begin();
            stream = new Counting(snapshot.finish());
            ack(startOffset);
        } else if (acked < 0) {
            ack(startOffset);
        }
        List<Op> block = null;
        while (true) {
            byte[][] args = readCommand();
            if (args == null) {
                if (block == null) {
                    return new Entry(position().offset(), db, List.of(), false); // a keep-alive newline: the offset moved
                }
                continue;
            }
            String name = new String(args[0], StandardCharsets.US_ASCII).toUpperCase(Locale.ROOT);
            switch (name) {
                case "SELECT" -> db = Integer.parseInt(new String(args[1], StandardCharsets.US_ASCII));
                case "PING", "REPLCONF" -> {
                    if (name.equals("REPLCONF") && args.length > 1 && new String(args[1], StandardCharsets.US_ASCII).equalsIgnoreCase("GETACK")) {
                        ack(position().offset());
                    }
                    if (block == null) {
                        return new Entry(position().offset(), db, List.of(), false);
                    }
                }
                case "MULTI" -> block = new ArrayList<>();
                case "EXEC" -> {
                    if (block != null) {
                        return new Entry(position().offset(), db, List.copyOf(block), true);
                    }
                }
                default -> {
                    Op op = new Op(db, args);
                    if (block == null) {
                        return new Entry(position().offset(), db, List.of(op), false);
                    }
                    block.add(op);
                }
            }
        }
    }

    /**
     * Whether the next unit can be read without waiting for the network (bytes of the stream are already here): a
     * reader takes units while this holds, to apply them as one batch, and applies what it has when it no longer does.
     */
    public boolean buffered() throws IOException {
        return stream != null && stream.available() > 0;
    }

    /**
     * Reports {@code offset} as taken (durably: the source's {@code WAIT} and its view of the replica's lag see it) with
     * {@code REPLCONF ACK} now and every second after, as a replica does: the source drops a replica silent for
     * {@code repl-timeout}, and a diskless source starts the stream only on an ACK that comes after it has seen the
     * snapshot's end, which may be after the first. Thread-safe; no reply.
     */
    public void ack(long offset) throws IOException {
        boolean first = acked < 0;
        acked = offset;
        sendAck(offset);
        if (first) {
            Thread.ofVirtual().name("replica-ack-" + source.address()).start(this::ackEverySecond);
        }
    }

    private void ackEverySecond() {
        while (!closed) {
            try {
                Thread.sleep(1000);
                if (!closed) {
                    sendAck(acked);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (IOException e) {
                return; // the link broke: the reader sees it
            }
        }
    }

    private void sendAck(long offset) throws IOException {
        String off = Long.toString(offset);
        String msg = "*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$" + off.length() + "\r\n" + off + "\r\n";
        synchronized (writeLock) {
            out.write(msg.getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
    }

    /** A multibulk command of the stream; null for a bare newline. */
    private byte[][] readCommand() throws IOException {
        int first = stream.read();
        if (first < 0) {
            throw new EOFException(source.address() + ": the source closed the replica link");
        }
        if (first == '\n' || first == '\r') {
            return null;
        }
        if (first != '*') {
            throw new IOException(source.address() + ": the replication stream is not RESP (byte " + first + " at offset " + position().offset() + ")");
        }
        long n = number(stream);
        if (n < 1 || n > MAX_ARGS) {
            throw new IOException(source.address() + ": a stream command with " + n + " arguments");
        }
        byte[][] args = new byte[(int) n][];
        for (int i = 0; i < n; i++) {
            if (stream.read() != '$') {
                throw new IOException(source.address() + ": a stream command's argument is not a bulk string");
            }
            long len = number(stream);
            if (len < 0 || len > MAX_BULK) {
                throw new IOException(source.address() + ": a stream argument of " + len + " bytes");
            }
            args[i] = stream.readNBytes((int) len);
            if (args[i].length < len || stream.read() != '\r' || stream.read() != '\n') {
                throw new EOFException(source.address() + ": the replica link ended inside a command");
            }
        }
        return args;
    }

    /** A decimal number up to its CRLF. */
    private static long number(InputStream in) throws IOException {
        long n = 0;
        boolean negative = false;
        for (int c = in.read(); c != '\r'; c = in.read()) {
            if (c == '-') {
                negative = true;
            } else if (c >= '0' && c <= '9') {
                n = n * 10 + (c - '0');
            } else {
                throw new IOException("a malformed length in the replication stream (byte " + c + ")");
            }
        }
        if (in.read() != '\n') {
            throw new IOException("a malformed line end in the replication stream");
        }
        return negative ? -n : n;
    }

    @Override
    public void close() {
        closed = true;
        close(socket);
    }

    private static void close(Socket s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    /** Counts the stream's bytes: the offset. */
    private static final class Counting extends FilterInputStream {
        long count;

        Counting(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long s = super.skip(n);
            count += Math.max(0, s);
            return s;
        }
    }

    private static RedisCommandException refused(RedisEndpoint source, String what, String reply) {
        String hint = reply.contains("NOPERM") || reply.contains("unknown")
                ? ": its user needs +psync +replconf (and the server must allow replicas), or use options.copyMode=scan" : "";
        return new RedisCommandException(source.address() + ": the source refused " + what + " (" + reply.strip() + ")" + hint);
    }

    private static String errorCode(String reply) {
        int space = reply.indexOf(' ');
        return space > 1 ? reply.substring(1, space) : "error";
    }
}
