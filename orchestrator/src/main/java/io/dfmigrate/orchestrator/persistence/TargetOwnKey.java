package io.dfmigrate.orchestrator.persistence;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.util.UUID;

/** A key the target held before the migration first started (with {@code options.overwrite}): db and key bytes. */
@Entity
@Table(name = "target_own_key")
public class TargetOwnKey extends PanacheEntityBase {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    @Column(name = "migration_id")
    public UUID migrationId;
    public int db;
    @Column(name = "key_bytes")
    public byte[] key;
}
