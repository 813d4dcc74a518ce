package io.dfmigrate.orchestrator.service.watches;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.persistence.PersistenceException;
import java.net.ConnectException;
import java.sql.SQLException;
import org.hibernate.exception.JDBCConnectionException;
import org.junit.jupiter.api.Test;

/**
 * Which failures are the database connection failing: those are an outage, waited out by the status consumer, even when
 * the database answers again by the time it is asked (e2e AcceptanceTest met that race: PostgreSQL back between a refused
 * connection and the question, and the status channel failed).
 */
class DatabaseOutagesTest {
    @Test
    void aLostConnectionIsAnOutageWhereverItIsInTheCausesAndOtherFailuresAreNot() {
        assertTrue(DatabaseOutages.connectionLost(new JDBCConnectionException("Unable to acquire JDBC Connection",
                new SQLException("Connection to 127.0.0.1:5432 refused", "08001"))));
        assertTrue(DatabaseOutages.connectionLost(new PersistenceException(new RuntimeException(new ConnectException("refused")))));
        assertTrue(DatabaseOutages.connectionLost(new PersistenceException(new SQLException("terminating connection", "57P01"))));
        assertTrue(DatabaseOutages.connectionLost(new RuntimeException(new SQLException("I/O error", "08006"))));
        assertFalse(DatabaseOutages.connectionLost(new PersistenceException(new SQLException("duplicate key", "23505"))));
        assertFalse(DatabaseOutages.connectionLost(new IllegalStateException("a bug")));
        assertFalse(DatabaseOutages.connectionLost(new RuntimeException(new SQLException("no state"))));
    }
}
