package io.dfmigrate.orchestrator.service;

import io.dfmigrate.orchestrator.persistence.AuditEntry;
import io.dfmigrate.orchestrator.persistence.Migration;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/** What the API reads: a migration, the list, an audit trail (404 for an unknown id). */
@ApplicationScoped
public class MigrationQueries {
    private final MigrationTx tx;

    public MigrationQueries(MigrationTx tx) {
        this.tx = tx;
    }

    public Dtos.MigrationView get(String id) {
        return tx.read(() -> MigrationViews.view(MigrationTx.find(id)));
    }

    public List<Dtos.MigrationView> list() {
        return tx.read(() -> Migration.<Migration>list("order by createdAt desc").stream().map(MigrationViews::view).toList());
    }

    public List<Dtos.AuditView> audit(String id) {
        return tx.read(() -> AuditEntry.forMigration(MigrationTx.find(id).id).stream()
                .map(a -> new Dtos.AuditView(a.eventId.toString(), a.time, a.type, a.actor, a.action, a.fromState, a.toState, a.detail))
                .toList());
    }
}
