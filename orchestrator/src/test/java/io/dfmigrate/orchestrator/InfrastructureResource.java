package io.dfmigrate.orchestrator;

import io.dfmigrate.localstack.LocalStack;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.nio.file.Path;
import java.util.Map;

/** Real Kafka and PostgreSQL for the orchestrator's tests, from the same launcher code run.sh uses. */
public class InfrastructureResource implements QuarkusTestResourceLifecycleManager {
    static LocalStack stack;

    @Override
    public Map<String, String> start() {
        Path state = LocalStack.testStateDir(Path.of("target"));
        stack = new LocalStack(LocalStack.Config.forTests(Path.of("..").toAbsolutePath().normalize(), state)).startInfrastructure();
        return Map.of(
                "kafka.bootstrap.servers", stack.kafka().bootstrapServers(),
                "quarkus.datasource.jdbc.url", stack.jdbcUrl(),
                "quarkus.datasource.username", "dfm");
    }

    @Override
    public void stop() {
        if (stack != null) {
            stack.close();
        }
    }
}
