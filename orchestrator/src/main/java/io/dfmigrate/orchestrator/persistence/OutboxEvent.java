package io.dfmigrate.orchestrator.persistence;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** An event waiting to be published: written in the transaction of the change that causes it. */
@Entity
@Table(name = "outbox")
public class OutboxEvent extends PanacheEntityBase {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    public String topic;
    @Column(name = "msg_key")
    public String key;
    @Column(name = "event_id")
    public String eventId;
    public String type;
    public String payload;
    public String actor;
    @Column(name = "created_at")
    public Instant createdAt;
}
