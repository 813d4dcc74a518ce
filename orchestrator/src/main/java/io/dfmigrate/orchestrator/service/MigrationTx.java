package io.dfmigrate.orchestrator.service;

import io.dfmigrate.orchestrator.messaging.OutboxRelay;
import io.dfmigrate.orchestrator.persistence.Migration;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.persistence.OptimisticLockException;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import org.hibernate.StaleStateException;
import org.jboss.logging.Logger;

/**
 * How the orchestrator changes a migration: one step in one transaction, with what it causes written by its
 * {@link Journal}; after the commit the outbox is relayed (if the step wrote to it) and, if the state or the guard moved,
 * {@link MigrationChanged} tells the keeper. A step that lost an optimistic-lock race (a status event updated the same
 * migration at the same moment) runs again on the fresh state.
 */
@ApplicationScoped
public class MigrationTx {
    private static final Logger LOG = Logger.getLogger(MigrationTx.class);

    private final OutboxRelay relay;
    private final Event<MigrationChanged> changed;

    public MigrationTx(OutboxRelay relay, Event<MigrationChanged> changed) {
        this.relay = relay;
        this.changed = changed;
    }

    /** A migration's state or guard moved (after the commit): the keeper settles it. */
    public record MigrationChanged(UUID id) {
    }

    /** A step: returns whether it acted (false: nothing to do on the fresh state). */
    @FunctionalInterface
    public interface Step {
        boolean apply(Journal journal);
    }

    /** Runs {@code step} on the migration (skipped when it is gone); returns whether it acted. */
    public boolean update(UUID id, Step step) {
        Journal j = run(id, step);
        after(j);
        return j != null;
    }

    /** A step of the keeper's own: committed and relayed, without waking the keeper (it is the one acting). */
    public void record(UUID id, Step step) {
        Journal j = run(id, step);
        if (j != null && !j.written().isEmpty()) {
            publish();
        }
    }

    private static Journal run(UUID id, Step step) {
        return retryingConflicts(() -> QuarkusTransaction.requiringNew().call(() -> {
            Migration m = Migration.findById(id);
            if (m == null) {
                return null;
            }
            Journal journal = new Journal(m);
            return step.apply(journal) ? journal : null;
        }));
    }

    /** Runs {@code step} for each migration, each in a transaction of its own; returns how many acted. */
    public int each(List<UUID> ids, Step step) {
        int acted = 0;
        for (UUID id : ids) {
            if (update(id, step)) {
                acted++;
            }
        }
        return acted;
    }

    /** After the commit of a step that acted: relay what it wrote, wake the keeper when the state or guard moved. */
    public void after(Journal j) {
        if (j == null) {
            return;
        }
        if (!j.written().isEmpty()) {
            publish();
        }
        if (j.keeperMayAct()) {
            changed.fire(new MigrationChanged(j.migration().id));
        }
    }

    /** Relays what committed transactions wrote to the outbox; if Kafka is away, the relay's timer retries. */
    public void publish() {
        try {
            relay.flush();
        } catch (RuntimeException e) {
            LOG.warnf("events stay in the outbox for a retry: %s", e.toString());
        }
    }

    public <T> T read(Supplier<T> query) {
        return QuarkusTransaction.joiningExisting().call(query::get);
    }

    /**
     * Runs a transaction again (up to 5 times) when it lost an optimistic-lock race; the step decides on the fresh state.
     * Hand-written, not @Retry: the conflict is found among the causes the transaction manager wraps it in, and the
     * steps are lambdas, not bean methods.
     */
    public static <T> T retryingConflicts(Supplier<T> tx) {
        for (int attempt = 1; ; attempt++) {
            try {
                return tx.get();
            } catch (RuntimeException e) {
                if (attempt >= 5 || !isConflict(e)) {
                    throw e;
                }
                LOG.debugf("concurrent update, attempt %d: retrying", attempt);
            }
        }
    }

    public static boolean isConflict(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof OptimisticLockException || t instanceof StaleStateException) {
                return true;
            }
        }
        return false;
    }

    /** The migration of an API path id, or a 404. */
    public static Migration find(String id) {
        UUID uuid = parseId(id);
        Migration m = uuid == null ? null : Migration.findById(uuid);
        if (m == null) {
            throw ApiException.notFound(id);
        }
        return m;
    }

    public static UUID parseId(String id) {
        try {
            return id == null ? null : UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
