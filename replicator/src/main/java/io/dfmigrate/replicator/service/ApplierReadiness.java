package io.dfmigrate.replicator.service;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness of the appliers: DOWN while an applier's loop is dead or has failed for a minute (Kafka unreadable, the
 * target refusing writes), so an orchestrating platform sees it and restarts or replaces the instance. The messaging
 * channels report their own health next to it.
 */
@Readiness
@ApplicationScoped
public class ApplierReadiness implements HealthCheck {
    private static final Duration FAILING = Duration.ofSeconds(60);
    private final ApplyService apply;

    public ApplierReadiness(ApplyService apply) {
        this.apply = apply;
    }

    @Override
    public HealthCheckResponse call() {
        List<String> problems = apply.problems(FAILING);
        return HealthCheckResponse.named("dfm-appliers").status(problems.isEmpty())
                .withData("problems", problems.isEmpty() ? "none" : String.join("; ", problems)).build();
    }
}
