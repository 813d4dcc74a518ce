package io.dfmigrate.orchestrator.service;

import io.dfmigrate.orchestrator.persistence.AuditEntry;
import io.dfmigrate.orchestrator.persistence.Migration;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.UUID;

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

    private static List<AuditEntry> trail(String id) {
        UUID uuid = MigrationTx.parseId(id);
        List<AuditEntry> entries = uuid == null ? List.of() : AuditEntry.forMigration(uuid);
        if (entries.isEmpty()) {
            MigrationTx.find(id); // 404 unless it exists
        }
        return entries;
    }

    public long count() {
        return tx.read(() -> Migration.count());
    }

    /** The audit trail, also of a deleted migration (404 when there is none). */
    public List<Dtos.AuditView> audit(String id) {
        return tx.read(() -> trail(id).stream()
                .map(a -> new Dtos.AuditView(a.eventId.toString(), a.time, a.type, a.actor, a.action, a.fromState, a.toState, a.detail))
                .toList());
    }
}
