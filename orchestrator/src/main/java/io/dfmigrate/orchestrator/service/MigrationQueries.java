package io.dfmigrate.orchestrator.service;

import io.dfmigrate.orchestrator.persistence.AuditEntry;
import io.dfmigrate.orchestrator.persistence.Migration;
import io.dfmigrate.orchestrator.persistence.MigrationState;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import io.dfmigrate.orchestrator.persistence.VerificationDiff;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.UUID;

/** What the API reads: a migration, the list, an audit trail (404 for an unknown id). */
@ApplicationScoped
public class MigrationQueries {
    /** The most migrations one list call returns. */
    public static final int MAX_PAGE = 500;
    /** Differing keys a migration's view shows; {@link #differences} pages through all. */
    public static final int FIRST_DIFFERENCES = 1000;
    private final MigrationTx tx;

    public MigrationQueries(MigrationTx tx) {
        this.tx = tx;
    }

    public Dtos.MigrationView get(String id) {
        return tx.read(() -> MigrationViews.view(MigrationTx.find(id), true));
    }

    /**
     * The latest verification's differing keys in report order, {@code limit} (1–1000) after {@code after} (0: from the
     * start); 404 when the migration has no verification.
     */
    public Dtos.DifferencePage differences(String id, long after, int limit) {
        if (limit < 1 || limit > FIRST_DIFFERENCES) {
            throw ApiException.badRequest("limit", "must be 1 to " + FIRST_DIFFERENCES);
        }
        if (after < 0) {
            throw ApiException.badRequest("after", "must be 0 or more (the next of the previous page)");
        }
        return tx.read(() -> {
            Migration m = MigrationTx.find(id);
            if (m.verification.state == null) {
                throw ApiException.nothingYet("migration " + id + " has no verification in its current run: POST /api/migrations/" + id
                        + "/verify starts one");
            }
            List<Dtos.DifferenceView> items = VerificationDiff.page(m.id, m.verification.number, after, limit).stream()
                    .map(MigrationViews::difference).toList();
            return new Dtos.DifferencePage(m.verification.number, items, items.size() < limit ? null : items.get(items.size() - 1).id());
        });
    }

    /**
     * The newest first, {@code limit} (1–500) from {@code offset}, only those in {@code states} when it is not empty; 400
     * naming the parameter otherwise.
     */
    public List<Dtos.MigrationView> list(int limit, int offset, Set<MigrationState> states) {
        if (limit < 1 || limit > MAX_PAGE) {
            throw ApiException.badRequest("limit", "must be 1 to " + MAX_PAGE);
        }
        if (offset < 0) {
            throw ApiException.badRequest("offset", "must be 0 or more");
        }
        return tx.read(() -> (states.isEmpty() ? Migration.<Migration>find("order by createdAt desc, id")
                : Migration.<Migration>find("state in ?1 order by createdAt desc, id", states))
                .range(offset, offset + limit - 1).list().stream().map(MigrationViews::view).toList());
    }

    /** {@code ?state=REPLICATING,STOPPED}: the states named (comma-separated, any case); 400 naming an unknown one. */
    public static Set<MigrationState> states(String param) {
        Set<MigrationState> out = EnumSet.noneOf(MigrationState.class);
        if (param == null || param.isBlank()) {
            return out;
        }
        for (String s : param.split(",")) {
            try {
                out.add(MigrationState.valueOf(s.strip().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("state", "'" + s.strip() + "' is not a state; one or more of "
                        + java.util.Arrays.toString(MigrationState.values()) + ", comma-separated");
            }
        }
        return out;
    }

    private static List<AuditEntry> trail(String id) {
        UUID uuid = MigrationTx.parseId(id);
        List<AuditEntry> entries = uuid == null ? List.of() : AuditEntry.forMigration(uuid);
        if (entries.isEmpty()) {
            MigrationTx.find(id); // 404 unless it exists
        }
        return entries;
    }

    public long count(Set<MigrationState> states) {
        return tx.read(() -> states.isEmpty() ? Migration.count() : Migration.count("state in ?1", states));
    }

    /** The audit trail, also of a deleted migration (404 when there is none). */
    public List<Dtos.AuditView> audit(String id) {
        return tx.read(() -> trail(id).stream()
                .map(a -> new Dtos.AuditView(a.eventId.toString(), a.time, a.type, a.actor, a.action, a.fromState, a.toState, a.detail))
                .toList());
    }
}
