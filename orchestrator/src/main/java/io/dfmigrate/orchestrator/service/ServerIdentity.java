package io.dfmigrate.orchestrator.service;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.redis.BlockingRedis;
import io.dfmigrate.common.redis.KeyScanner;
import io.dfmigrate.common.redis.SourceServers;
import io.dfmigrate.common.secret.SecretBox;
import io.dfmigrate.orchestrator.config.OrchestratorConfig;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Which server an endpoint is, whatever name points at it ({@code localhost} or {@code 127.0.0.1}, a DNS alias): its
 * {@code INFO server} {@code run_id}, and its keys per database now. Empty when the server cannot be asked (then
 * nothing is refused on its account: the migration's own workers will say why it cannot be reached).
 */
@ApplicationScoped
public class ServerIdentity {
    private static final Logger LOG = Logger.getLogger(ServerIdentity.class);

    private final Vertx vertx;
    private final SecretBox box;
    private final OrchestratorConfig config;

    public ServerIdentity(Vertx vertx, SecretBox box, OrchestratorConfig config) {
        this.vertx = vertx;
        this.box = box;
        this.config = config;
    }

    /** A server as it is now: its run_id (null if it has none) and its key count per database. */
    record Server(String runId, Map<Integer, Long> keyspace) {
        long keys(List<Integer> dbs) {
            return keyspace.entrySet().stream().filter(e -> dbs == null || dbs.isEmpty() || dbs.contains(e.getKey()))
                    .mapToLong(Map.Entry::getValue).sum();
        }
    }

    Optional<Server> of(String sealedUri, String context) {
        RedisEndpoint endpoint = RedisEndpoint.parse(box.open(sealedUri, context));
        try (BlockingRedis r = BlockingRedis.connect(vertx, endpoint, 0, config.redisTimeout())) {
            String runId = null;
            for (String line : r.send(Request.cmd(Command.INFO).arg("server")).toString().split("\r?\n")) {
                if (line.startsWith("run_id:")) {
                    runId = line.substring("run_id:".length()).strip();
                }
            }
            Map<Integer, Long> keyspace = KeyScanner.keyspace(r);
            if (endpoint.cluster()) { // the cluster as a whole: named by the node id of slot 0's master, whichever node the URI names
                runId = "cluster:" + SourceServers.nodes(vertx, endpoint, config.redisTimeout()).ownerOf(0).id();
                keyspace = new java.util.TreeMap<>();
                for (RedisEndpoint master : SourceServers.of(vertx, endpoint, config.redisTimeout())) {
                    try (BlockingRedis m = BlockingRedis.connect(vertx, master, 0, config.redisTimeout())) {
                        Map<Integer, Long> all = keyspace;
                        KeyScanner.keyspace(m).forEach((db, n) -> all.merge(db, n, Long::sum));
                    }
                }
            }
            return Optional.of(new Server(runId, keyspace));
        } catch (RuntimeException e) {
            LOG.debugf("%s could not be identified: %s", endpoint, e.getMessage());
            return Optional.empty();
        }
    }
}
