package io.dfmigrate.orchestrator.service.target;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.redis.AclUsers;
import io.dfmigrate.common.redis.BlockingRedis;
import io.dfmigrate.common.redis.SourceServers;
import io.dfmigrate.common.secret.SecretBox;
import io.dfmigrate.orchestrator.config.OrchestratorConfig;
import io.dfmigrate.orchestrator.persistence.Migration;
import io.dfmigrate.orchestrator.persistence.MigrationState;
import io.dfmigrate.orchestrator.service.ApiException;
import io.dfmigrate.orchestrator.service.FieldError;
import io.dfmigrate.orchestrator.service.Journal;
import io.dfmigrate.orchestrator.service.MigrationTx;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.jboss.logging.Logger;

/**
 * The source's users for a target that takes no password hash (Dragonfly): the passwords an operator gives per user
 * ({@code PUT …/users/passwords}, sealed like the endpoints' credentials, never shown again), used by the cutover's
 * {@link CutoverHandover}; and the ACL file of the source's users ({@code GET …/users/acl-file}) for the target's
 * {@code --aclfile}. Both are in the audit trail by user name only.
 */
@ApplicationScoped
public class UserHandover {
    private static final Logger LOG = Logger.getLogger(UserHandover.class);
    static final int MAX_USERS = 1000;
    static final int MAX_NAME = 256;
    static final int MAX_PASSWORD = 1024;

    private final MigrationTx tx;
    private final SecretBox box;
    private final Vertx vertx;
    private final OrchestratorConfig config;

    public UserHandover(MigrationTx tx, SecretBox box, Vertx vertx, OrchestratorConfig config) {
        this.tx = tx;
        this.box = box;
        this.vertx = vertx;
        this.config = config;
    }

    /** The users that have a password given, by name. */
    public record PasswordsView(List<String> users) {
    }

    /** The users a migration connects as, or names as its own: never copied nor put in the ACL file. */
    static Predicate<String> own(RedisEndpoint target) {
        String targetUser = target.user() == null ? "default" : target.user();
        return name -> name.startsWith("dfmigrate-") || name.equals(targetUser);
    }

    /** The passwords given, opened; empty when none. */
    Map<String, String> passwords(UUID id, String sealed) {
        return sealed == null ? Map.of()
                : Json.read(box.open(sealed, SecretBox.context(id, SecretBox.USER_PASSWORDS)), new TypeReference<LinkedHashMap<String, String>>() {
                });
    }

    public PasswordsView names(String id) {
        return tx.read(() -> {
            Migration m = MigrationTx.find(id);
            return new PasswordsView(List.copyOf(passwords(m.id, m.userPasswordsSealed).keySet()));
        });
    }

    /**
     * Replaces the passwords given ({@code {"user": "password", …}}; {@code {}} removes them) until the migration is
     * completed (409 after). Checked per field; their names go to the audit trail, the passwords nowhere but the sealed column.
     */
    public PasswordsView replace(String id, JsonNode body, String actor) {
        Map<String, String> given = parse(body);
        Journal j = MigrationTx.retryingConflicts(() -> QuarkusTransaction.requiringNew().call(() -> {
            Migration m = MigrationTx.find(id);
            if (m.state == MigrationState.COMPLETED) {
                throw ApiException.conflict("the migration is completed: its users were handed over at the cutover; create them on the "
                        + "target by hand", m.state.name(), m.allowedActionNames());
            }
            m.userPasswordsSealed = given.isEmpty() ? null
                    : box.seal(Json.write(given), SecretBox.context(m.id, SecretBox.USER_PASSWORDS));
            Journal journal = new Journal(m);
            journal.audit(actor, "user-passwords", given.isEmpty() ? "no password given for any user"
                    : "passwords given for user(s) " + String.join(", ", given.keySet()) + " (for a target that takes no password hash)");
            return journal;
        }));
        tx.after(j);
        LOG.infof("migration %s: passwords given for %d user(s) by %s", id, given.size(), actor);
        return new PasswordsView(List.copyOf(given.keySet()));
    }

    private static Map<String, String> parse(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw ApiException.badRequest("body", "a JSON object of user name → password, e.g. {\"app\": \"…\"}; {} removes them");
        }
        if (body.size() > MAX_USERS) {
            throw ApiException.badRequest("body", "at most " + MAX_USERS + " users");
        }
        Map<String, String> out = new LinkedHashMap<>();
        List<FieldError> errors = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = body.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            // the name is shown in errors; the value never is
            String field = name.length() > 64 || name.chars().anyMatch(c -> Character.isISOControl(c)) ? "(a user name)" : name;
            if (name.isEmpty() || name.length() > MAX_NAME || name.chars().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
                errors.add(new FieldError(field, "a user name of 1 to " + MAX_NAME + " characters without spaces"));
            } else if (!e.getValue().isTextual() || e.getValue().asText().isEmpty() || e.getValue().asText().length() > MAX_PASSWORD) {
                errors.add(new FieldError(field, "the password must be a string of 1 to " + MAX_PASSWORD + " characters"));
            } else {
                out.put(name, e.getValue().asText());
            }
        }
        if (!errors.isEmpty()) {
            throw ApiException.badRequest(errors);
        }
        return out;
    }

    private record Endpoints(UUID id, String sourceSealed, String targetSealed) {
    }

    /**
     * The ACL file of the source's users (its {@code ACL LIST} lines, password hashes included; not its default user nor
     * the migration's own), read from the source now. Recorded in the audit trail, since it holds password hashes.
     */
    public String aclFile(String id, String actor) {
        Endpoints e = tx.read(() -> {
            Migration m = MigrationTx.find(id);
            return new Endpoints(m.id, m.sourceSealed, m.targetSealed);
        });
        RedisEndpoint source = RedisEndpoint.parse(box.open(e.sourceSealed(), SecretBox.context(e.id(), SecretBox.SOURCE)));
        RedisEndpoint target = RedisEndpoint.parse(box.open(e.targetSealed(), SecretBox.context(e.id(), SecretBox.TARGET)));
        String file;
        try (BlockingRedis s = BlockingRedis.connect(vertx, SourceServers.of(vertx, source, config.redisTimeout()).get(0), 0,
                config.redisTimeout())) {
            file = AclUsers.aclFile(s, own(target));
        } catch (ApiException ex) {
            throw ex;
        } catch (RuntimeException ex) {
            throw ApiException.unavailable("the source's users could not be read from " + source + ": " + ex.getMessage()
                    + " (the source user needs +acl to read ACL LIST)");
        }
        long users = file.lines().count();
        Journal j = MigrationTx.retryingConflicts(() -> QuarkusTransaction.requiringNew().call(() -> {
            Journal journal = new Journal(MigrationTx.find(id));
            journal.audit(actor, "acl-file", "the ACL file of " + users + " source user(s) was downloaded (it holds their password hashes)");
            return journal;
        }));
        tx.after(j);
        return file;
    }
}
