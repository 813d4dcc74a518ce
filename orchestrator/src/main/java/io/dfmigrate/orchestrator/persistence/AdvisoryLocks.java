package io.dfmigrate.orchestrator.persistence;

import io.agroal.api.AgroalDataSource;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;

/**
 * PostgreSQL session advisory locks: what lets several orchestrator replicas share one database without doing the
 * same work twice. A lock lives as long as the database session that took it, so a replica that dies (or loses its
 * connection) gives its locks up without anyone's help.
 */
@ApplicationScoped
public class AdvisoryLocks {
    /** The lock namespace of the keeper's per-migration work (the two-key form: namespace, migration). */
    static final int KEEPER = 0x64666d01;

    private final AgroalDataSource dataSource;

    public AdvisoryLocks(AgroalDataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** A lock held until closed, on a connection of its own. */
    public interface Held extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Waits for the keeper's lock of migration {@code id}: one replica at a time changes a migration's servers (guard,
     * source settings, temporary keys).
     */
    public Held keeper(UUID id) {
        int key = id.hashCode(); // two migrations sharing a hash only wait for each other
        Connection c = connection();
        try {
            try (PreparedStatement s = c.prepareStatement("select pg_advisory_lock(?, ?)")) {
                s.setInt(1, KEEPER);
                s.setInt(2, key);
                s.execute();
            }
        } catch (SQLException e) {
            closeQuietly(c);
            throw new IllegalStateException("cannot take the keeper's lock of migration " + id + ": " + e.getMessage(), e);
        }
        return () -> {
            try (PreparedStatement s = c.prepareStatement("select pg_advisory_unlock(?, ?)")) {
                s.setInt(1, KEEPER);
                s.setInt(2, key);
                s.execute();
            } catch (SQLException e) {
                // the session ends with the connection below, and its locks with it
            } finally {
                closeQuietly(c);
            }
        };
    }

    /** Takes lock {@code key} if it is free; returns the connection that holds it, or null when another session holds it. */
    public Connection tryHold(long key) throws SQLException {
        Connection c = connection();
        boolean got = false;
        try (PreparedStatement s = c.prepareStatement("select pg_try_advisory_lock(?)")) {
            s.setLong(1, key);
            try (ResultSet r = s.executeQuery()) {
                got = r.next() && r.getBoolean(1);
            }
            return got ? c : null;
        } finally {
            if (!got) {
                closeQuietly(c);
            }
        }
    }

    /** Gives up lock {@code key} held on {@code c} and the connection. */
    public static void release(Connection c, long key) {
        try (PreparedStatement s = c.prepareStatement("select pg_advisory_unlock(?)")) {
            s.setLong(1, key);
            s.execute();
        } catch (SQLException e) {
            // a broken connection: its session, and the lock, end with it
        } finally {
            closeQuietly(c);
        }
    }

    /** A connection of its own, outside any transaction of the calling thread (a lock outlives transactions). */
    private Connection connection() {
        return QuarkusTransaction.suspendingExisting().call(() -> {
            try {
                Connection c = dataSource.getConnection();
                c.setAutoCommit(true);
                return c;
            } catch (SQLException e) {
                throw new IllegalStateException("no database connection: " + e.getMessage(), e);
            }
        });
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException e) {
            // nothing left to do
        }
    }
}
