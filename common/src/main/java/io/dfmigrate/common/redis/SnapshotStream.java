package io.dfmigrate.common.redis;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A full sync's snapshot as a {@link ReplicationLink} reads it: after keep-alive newlines, {@code $<length>\r\n} then
 * that many bytes (on disk), or {@code $EOF:<40 chars>\r\n} then the RDB and the same 40 chars (diskless). What was
 * read past the end is kept for the stream ({@link #finish()}).
 */
final class SnapshotStream extends InputStream {
    private static final int MARK = 40;
    private final InputStream in;
    private boolean begun;
    private long left = -1; // on disk: bytes left; -1: diskless
    private byte[] mark;
    private byte[] buf = new byte[1 << 16];
    private int start;
    private int end;
    private int deliverable; // diskless: bytes of buf[start..] known to be before the mark
    private boolean ended;
    private byte[] rest = new byte[0];

    SnapshotStream(InputStream in) {
        this.in = in;
    }

    void begin() throws IOException {
        if (begun) {
            return;
        }
        begun = true;
        int c;
        do {
            c = in.read();
        } while (c == '\n' || c == '\r');
        if (c != '$') {
            throw new IOException("the source sent no snapshot (first byte " + c + ")");
        }
        String header = SourceSocket.line(in);
        if (header.startsWith("EOF:")) {
            mark = header.substring(4).getBytes(StandardCharsets.US_ASCII);
            if (mark.length != MARK) {
                throw new IOException("a snapshot end mark of " + mark.length + " characters");
            }
        } else {
            left = Long.parseLong(header.strip());
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (mark == null) {
            if (left <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                throw new EOFException("the source closed the link inside the snapshot");
            }
            left -= n;
            return n;
        }
        while (deliverable == 0) {
            if (ended) {
                return -1;
            }
            fill();
        }
        int n = Math.min(len, deliverable);
        System.arraycopy(buf, start, b, off, n);
        start += n;
        deliverable -= n;
        return n;
    }

    /** Diskless: reads more, and finds the end mark (which may straddle two reads, and be followed by stream bytes). */
    private void fill() throws IOException {
        if (start > 0) {
            System.arraycopy(buf, start, buf, 0, end - start);
            end -= start;
            start = 0;
        }
        if (end == buf.length) {
            buf = Arrays.copyOf(buf, buf.length * 2);
        }
        int n = in.read(buf, end, buf.length - end);
        if (n < 0) {
            throw new EOFException("the source closed the link inside the snapshot");
        }
        int searchFrom = Math.max(0, end - MARK + 1);
        end += n;
        int at = indexOf(buf, searchFrom, end, mark);
        if (at >= 0) {
            ended = true;
            deliverable = at - start;
            rest = Arrays.copyOfRange(buf, at + MARK, end);
            end = at;
        } else {
            deliverable = Math.max(0, end - (MARK - 1) - start);
        }
    }

    private static int indexOf(byte[] data, int from, int to, byte[] what) {
        outer:
        for (int i = from; i <= to - what.length; i++) {
            for (int j = 0; j < what.length; j++) {
                if (data[i + j] != what[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Skips what the reader left of the snapshot; the stream that follows (with any bytes read past the end). */
    InputStream finish() throws IOException {
        if (mark == null) {
            while (left > 0) {
                long s = in.skip(left);
                if (s <= 0) {
                    if (in.read() < 0) {
                        throw new EOFException("the source closed the link inside the snapshot");
                    }
                    s = 1;
                }
                left -= s;
            }
            return in;
        }
        byte[] skip = new byte[8192];
        while (read(skip, 0, skip.length) >= 0) {
            // to the mark
        }
        return rest.length == 0 ? in : new SequenceInputStream(new ByteArrayInputStream(rest), in);
    }
}
