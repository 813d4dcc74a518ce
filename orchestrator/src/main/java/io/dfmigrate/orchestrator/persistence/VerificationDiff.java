package io.dfmigrate.orchestrator.persistence;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.util.List;
import java.util.UUID;

/** One differing key of a migration's latest verification (db, key bytes, reason, both sides), paged by id. */
@Entity
@Table(name = "verification_diff")
public class VerificationDiff extends PanacheEntityBase {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    @Column(name = "migration_id")
    public UUID migrationId;
    @Column(name = "verify_number")
    public int verifyNumber;
    public int db;
    @Column(name = "key_bytes")
    public byte[] key;
    public String reason;
    @Column(name = "source_type")
    public String sourceType;
    @Column(name = "source_ttl")
    public Long sourceTtl;
    @Column(name = "source_length")
    public Long sourceLength;
    @Column(name = "target_type")
    public String targetType;
    @Column(name = "target_ttl")
    public Long targetTtl;
    @Column(name = "target_length")
    public Long targetLength;

    /** Up to {@code limit} differences of verification {@code number} after id {@code after}, in report order. */
    public static List<VerificationDiff> page(UUID migrationId, int number, long after, int limit) {
        return VerificationDiff.<VerificationDiff>find("migrationId = ?1 and verifyNumber = ?2 and id > ?3 order by id", migrationId,
                number, after).range(0, limit - 1).list();
    }
}
