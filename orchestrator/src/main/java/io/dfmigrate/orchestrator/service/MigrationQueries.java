package io.dfmigrate.orchestrator.service;

import io.dfmigrate.orchestrator.persistence.AuditEntry;
import io.dfmigrate.orchestrator.persistence.Migration;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/** What the API reads: a migration, the list, an audit trail (404 for an unknown id). */
@ApplicationScoped
public class MigrationQueries {
    /** The most migrations one list call returns. */
    public static final int MAX_PAGE = 500;
    private final MigrationTx tx;

    public MigrationQueries(MigrationTx tx) {
        this.tx = tx;
    }

    public Dtos.MigrationView get(String id) {
        return tx.read(() -> MigrationViews.view(MigrationTx.find(id)));
    }

    /** The newest first, {@code limit} (1–500) from {@code offset}; 400 naming the parameter otherwise. */
    public List<Dtos.MigrationView> list(int limit, int offset) {
        if (limit < 1 || limit > MAX_PAGE) {
            throw ApiException.badRequest("limit", "must be 1 to " + MAX_PAGE);
        }
        if (offset < 0) {
            throw ApiException.badRequest("offset", "must be 0 or more");
        }
        return tx.read(() -> Migration.<Migration>find("order by createdAt desc, id").range(offset, offset + limit - 1).list().stream()
                .map(MigrationViews::view).toList());
    }

    public long count() {
        return tx.read(() -> Migration.count());
    }

    public List<Dtos.AuditView> audit(String id) {
        return tx.read(() -> AuditEntry.forMigration(MigrationTx.find(id).id).stream()
                .map(a -> new Dtos.AuditView(a.eventId.toString(), a.time, a.type, a.actor, a.action, a.fromState, a.toState, a.detail))
                .toList());
    }
}
