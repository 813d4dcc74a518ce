package io.dfmigrate.orchestrator.service.watches;

import io.agroal.api.AgroalDataSource;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import org.jboss.logging.Logger;

/**
 * This orchestrator's own outages, told apart from its workers' silence. While PostgreSQL cannot be reached (a restart,
 * a managed failover of 30–120 s) no report can be recorded, so every migration looks silent and stalled although its
 * workers report all along: their reports wait in Kafka. The watches therefore judge silence only after a full window
 * of healthy database since the later of this orchestrator's start and the end of its last outage
 * ({@link #healthySince}), and the status consumer waits for the database instead of failing its channel.
 */
@Singleton
public class DatabaseOutages {
    private static final Logger LOG = Logger.getLogger(DatabaseOutages.class);

    private final AgroalDataSource dataSource;
    private final Instant startedAt = Instant.now();
    private volatile Instant lastFailure;

    public DatabaseOutages(AgroalDataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** A database operation failed: the watches wait a full window from now (cheap; call it on any failure). */
    public void failed() {
        lastFailure = Instant.now();
    }

    /** From when a watch may count silence: this orchestrator's start, or the last time its database failed it. */
    public Instant healthySince() {
        Instant f = lastFailure;
        return f != null && f.isAfter(startedAt) ? f : startedAt;
    }

    /** Whether the database has answered for at least {@code window} without failing. */
    public boolean healthyFor(Duration window) {
        return healthySince().isBefore(Instant.now().minus(window));
    }

    /**
     * Whether {@code failure} is the database connection failing (refused, reset, closed, the server shutting down):
     * SQL state class 08 or 57P, or a socket error, anywhere in its causes. Such a failure is an outage even when the
     * database answers again a moment later, by the time anyone asks {@link #reachable}.
     */
    public static boolean connectionLost(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof org.hibernate.exception.JDBCConnectionException || t instanceof java.sql.SQLTransientConnectionException
                    || t instanceof java.sql.SQLNonTransientConnectionException || t instanceof java.net.SocketException
                    || t instanceof java.io.EOFException) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") || sql.getSQLState().startsWith("57P"))) {
                return true;
            }
        }
        return false;
    }

    /** Whether the database answers now (a connection that is valid within 2 s); a no is recorded as a failure. */
    public boolean reachable() {
        try (Connection c = dataSource.getConnection()) {
            if (c.isValid(2)) {
                return true;
            }
        } catch (SQLException | RuntimeException e) {
            LOG.debugf("database not reachable: %s", e.toString());
        }
        failed();
        return false;
    }
}
