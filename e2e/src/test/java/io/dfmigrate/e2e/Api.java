package io.dfmigrate.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dfmigrate.localstack.LocalStack;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Predicate;

/** A small client of the REST API, as a user's script would call it. */
final class Api {
    static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final String token;
    /** The stack whose service logs a timed-out wait quotes; null for a client of another orchestrator. */
    private final LocalStack stack;

    /** The operator's client of this stack: every call carries the stack's API token. */
    Api(LocalStack stack) {
        this(stack.orchestratorUrl(), stack.apiToken(), stack);
    }

    /** {@code token} null: a caller without credentials. */
    Api(String base, String token) {
        this(base, token, null);
    }

    private Api(String base, String token, LocalStack stack) {
        this.base = base;
        this.token = token;
        this.stack = stack;
    }

    record Reply(int status, String contentType, String body) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + body, e);
            }
        }
    }

    Reply get(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
    }

    Reply post(String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path));
        if (body == null) {
            b.POST(HttpRequest.BodyPublishers.noBody());
        } else {
            b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        }
        return send(b);
    }

    private Reply send(HttpRequest.Builder b) {
        try {
            if (token != null) {
                b.header("Authorization", "Bearer " + token);
            }
            HttpResponse<String> r = http.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body());
        } catch (IOException e) {
            throw new AssertionError("request failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** POST /api/migrations; returns the new id (fails the test unless 201). */
    String create(String name, String source, String target, String options) {
        Reply r = post("/api/migrations", "{\"name\":\"" + name + "\",\"source\":{\"uri\":\"" + source
                + "\"},\"target\":{\"uri\":\"" + target + "\"}" + (options == null ? "" : ",\"options\":" + options) + "}");
        if (r.status() != 201) {
            throw new AssertionError("create returned " + r.status() + ": " + r.body());
        }
        return r.json().get("id").asText();
    }

    /** Polls GET /api/migrations/{id} until {@code until} holds; fails with the last state seen. */
    JsonNode await(String id, Predicate<JsonNode> until, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            last = get("/api/migrations/" + id).json();
            if (until.test(last)) {
                return last;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("timed out; last seen: " + last + (stack == null ? "" : StackLogs.excerpt(stack, id)));
    }

    JsonNode awaitState(String id, String state, Duration timeout) {
        return await(id, m -> state.equals(m.path("state").asText()), timeout);
    }

    /**
     * Runs a verification ({@code POST …/verify} with {@code body}, null for a full one) and waits for its end; fails the
     * test unless it is DONE. Returns the migration's {@code verification}.
     */
    JsonNode verify(String id, String body, Duration timeout) {
        Reply r = post("/api/migrations/" + id + "/verify", body);
        if (r.status() != 202) {
            throw new AssertionError("verify returned " + r.status() + ": " + r.body());
        }
        int number = r.json().at("/verification/number").asInt();
        JsonNode m = await(id, x -> x.at("/verification/number").asInt() == number
                && !x.at("/verification/state").asText().equals("RUNNING"), timeout);
        JsonNode v = m.get("verification");
        if (!"DONE".equals(v.path("state").asText())) {
            throw new AssertionError("verification did not finish: " + v);
        }
        return v;
    }

    /** The product's own proof next to DEBUG DIGEST: a full verification finds no difference. */
    JsonNode assertVerifiedEqual(String id) {
        JsonNode v = verify(id, null, Duration.ofSeconds(120));
        if (v.path("keysDiffering").asLong() != 0) {
            throw new AssertionError("verification found differences: " + v);
        }
        return v;
    }
}
