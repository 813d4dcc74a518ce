package io.dfmigrate.orchestrator;

import io.dfmigrate.localstack.LocalStack;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Real Kafka and PostgreSQL for the orchestrator's tests, from the same launcher code run.sh uses: started once for the
 * whole test run (the stack stops with the JVM) and shared by every test class, each of which gets a database of its
 * own, so no class sees another's migrations (a limit of live migrations, the list's totals) while none pays for
 * starting Kafka and PostgreSQL again.
 */
public class InfrastructureResource implements QuarkusTestResourceLifecycleManager {
    static LocalStack stack;
    private static final AtomicInteger DATABASES = new AtomicInteger();

    static synchronized LocalStack stack() {
        if (stack == null) {
            Path state = LocalStack.testStateDir(Path.of("target"));
            stack = new LocalStack(LocalStack.Config.forTests(Path.of("..").toAbsolutePath().normalize(), state)).startInfrastructure();
        }
        return stack;
    }

    @Override
    public Map<String, String> start() {
        LocalStack s = stack();
        String jdbcUrl = s.postgres().createDatabase("dfmigrate_" + DATABASES.incrementAndGet());
        return Map.of(
                "kafka.bootstrap.servers", s.kafka().bootstrapServers(),
                "quarkus.datasource.jdbc.url", jdbcUrl,
                "quarkus.datasource.username", "dfm");
    }

    @Override
    public void stop() {
        // shared: the stack stops with the JVM (LocalStack's shutdown hook)
    }
}
