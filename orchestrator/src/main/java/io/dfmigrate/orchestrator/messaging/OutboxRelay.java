package io.dfmigrate.orchestrator.messaging;

import io.dfmigrate.orchestrator.persistence.OutboxEvent;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Relays the outbox to Kafka in order: right after each committing change, and every second for whatever an earlier
 * attempt (or a crash, or another replica) left behind. Rows are locked while sent, so replicas do not interleave, and
 * deleted only after the broker acknowledged them: at least once, with the event ids consumers deduplicate on.
 */
@ApplicationScoped
public class OutboxRelay {
    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);
    private static final int PAGE = 100;

    private final EventPublisher publisher;

    public OutboxRelay(EventPublisher publisher) {
        this.publisher = publisher;
    }

    @Scheduled(every = "${dfm.orchestrator.outbox-interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void tick() {
        try {
            flush();
        } catch (RuntimeException e) {
            LOG.warnf("outbox relay: %s; will retry", e.toString());
        }
    }

    /** Publishes every pending event; returns how many. */
    public int flush() {
        int total = 0;
        while (true) {
            int sent = QuarkusTransaction.requiringNew().call(() -> {
                List<OutboxEvent> page = OutboxEvent.<OutboxEvent>find("order by id")
                        .withLock(LockModeType.PESSIMISTIC_WRITE).page(0, PAGE).list();
                for (OutboxEvent e : page) {
                    publisher.send(e);
                    e.delete();
                }
                return page.size();
            });
            total += sent;
            if (sent < PAGE) {
                return total;
            }
        }
    }
}
