package io.dfmigrate.orchestrator.service.watches;

import io.dfmigrate.orchestrator.persistence.AdvisoryLocks;
import io.quarkus.scheduler.Scheduled;
import io.quarkus.scheduler.ScheduledExecution;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.SQLException;
import org.jboss.logging.Logger;

/**
 * Which orchestrator replica runs the watches (heartbeats and capture takeovers, stalls, verification silence, the
 * keeper's sweep and the DBSIZE drift check): the one holding a PostgreSQL session advisory lock, on a connection it
 * keeps. Any number of replicas serve the API and consume status reports; one watches. When the leader dies or loses
 * its database connection, the lock goes with its session and the next replica to look takes it, within one tick of
 * its watches. Used as the watches' {@code skipExecutionIf}.
 */
@Singleton
public class WatchLeader implements Scheduled.SkipPredicate {
    private static final Logger LOG = Logger.getLogger(WatchLeader.class);
    /** The lock's key: "dfm-watc". */
    static final long WATCHES = 0x64666d2d77617463L;

    private final AdvisoryLocks locks;
    private final long key;
    private final DatabaseOutages outages;
    private Connection held;

    @Inject
    public WatchLeader(AdvisoryLocks locks, DatabaseOutages outages) {
        this(locks, WATCHES, outages);
    }

    WatchLeader(AdvisoryLocks locks, long key, DatabaseOutages outages) {
        this.locks = locks;
        this.key = key;
        this.outages = outages;
    }

    /** Skips a watch's run on every replica but the leader. */
    @Override
    public boolean test(ScheduledExecution execution) {
        return !leading();
    }

    /** Whether this replica runs the watches now: it holds the lock on a live connection, or has just taken it. */
    public synchronized boolean leading() {
        try {
            if (held != null && !held.isValid(5)) {
                outages.failed();
                LOG.warn("lost the database connection that held the watch lock: another orchestrator may run the watches now");
                AdvisoryLocks.release(held, key);
                held = null;
            }
            if (held == null) {
                held = locks.tryHold(key);
                if (held != null) {
                    LOG.info("this orchestrator runs the watches (heartbeats, stalls, keeper, drift check)");
                }
            }
        } catch (SQLException | RuntimeException e) {
            outages.failed();
            LOG.debugf("watch lock not taken: %s", e.toString());
        }
        return held != null;
    }

    /** Hands the watches over at shutdown (the lock is released with the connection anyway). */
    @PreDestroy
    synchronized void resign() {
        if (held != null) {
            AdvisoryLocks.release(held, key);
            held = null;
        }
    }
}
