package io.dfmigrate.orchestrator.service;

import io.dfmigrate.common.secret.SecretBox;
import io.dfmigrate.orchestrator.persistence.Migration;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import java.util.UUID;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * At start, every credential stored in an older envelope or under a previous key ({@code DFM_SECRET_PREVIOUS_KEYS}) is
 * sealed again with the current key, bound to its migration and role. After this has run once and the live runs that
 * started before the rotation have ended, the previous key can be dropped (docs/security.md, "Rotating the secret key").
 */
@ApplicationScoped
public class Resealing {
    private static final Logger LOG = Logger.getLogger(Resealing.class);

    private final SecretBox box;

    public Resealing(SecretBox box) {
        this.box = box;
    }

    private record Field(String role, Function<Migration, String> get, BiConsumer<Migration, String> set) {
    }

    private static final List<Field> FIELDS = List.of(
            new Field(SecretBox.SOURCE, m -> m.sourceSealed, (m, v) -> m.sourceSealed = v),
            new Field(SecretBox.TARGET, m -> m.targetSealed, (m, v) -> m.targetSealed = v),
            new Field(SecretBox.TARGET, m -> m.guard.targetSealed, (m, v) -> m.guard.targetSealed = v),
            new Field(SecretBox.GUARD, m -> m.guard.sealed, (m, v) -> m.guard.sealed = v),
            new Field(SecretBox.USER_PASSWORDS, m -> m.userPasswordsSealed, (m, v) -> m.userPasswordsSealed = v));

    void onStart(@Observes StartupEvent start) {
        resealAll();
    }

    /** Re-seals every migration that holds a value not sealed with the current key; returns how many changed. */
    public int resealAll() {
        int migrations = 0;
        int failed = 0;
        // only the rows with something to re-seal: after the first start with a key, none
        List<UUID> ids = QuarkusTransaction.requiringNew().call(() -> Migration.getEntityManager().createQuery(
                        "select m.id from Migration m where m.sourceSealed not like :p or m.targetSealed not like :p"
                                + " or m.guard.sealed not like :p or m.guard.targetSealed not like :p or m.userPasswordsSealed not like :p", UUID.class)
                .setParameter("p", box.currentPrefix() + "%").getResultList());
        for (UUID id : ids) {
            try {
                if (MigrationTx.retryingConflicts(() -> QuarkusTransaction.requiringNew().call(() -> reseal(id)))) {
                    migrations++;
                }
            } catch (RuntimeException e) {
                failed++;
                LOG.errorf("migration %s: its stored credentials cannot be opened with the keys this orchestrator holds (%s): "
                        + "give it the key that sealed them in DFM_SECRET_PREVIOUS_KEYS", id, e.getMessage());
            }
        }
        if (migrations > 0 || failed > 0) {
            LOG.infof("credentials of %d migration(s) re-sealed with key %s; %d could not be opened", migrations, box.keyId(), failed);
        }
        return migrations;
    }

    /** Re-seals what is not sealed with the current key; true when something changed. */
    public boolean reseal(UUID id) {
        Migration m = Migration.findById(id);
        if (m == null) {
            return false;
        }
        boolean changed = false;
        for (Field f : FIELDS) {
            String sealed = f.get().apply(m);
            if (sealed != null && !box.isCurrent(sealed)) {
                f.set().accept(m, box.reseal(sealed, SecretBox.context(m.id, f.role())));
                changed = true;
            }
        }
        return changed;
    }
}
