package io.dfmigrate.validator.messaging;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.event.RunKey;
import io.dfmigrate.common.event.Severity;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.common.event.ValidationCheck;
import io.dfmigrate.common.messaging.EventSignatures;
import io.dfmigrate.common.messaging.StatusPublisher;
import io.dfmigrate.common.secret.EventSigner;
import io.dfmigrate.common.secret.SecretBox;
import io.dfmigrate.validator.service.ValidationService;
import io.smallrye.common.annotation.RunOnVirtualThread;
import io.smallrye.reactive.messaging.ce.IncomingCloudEventMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/** Runs a validation for every {@code dfm.phase.validate.v1} command and reports it on {@code dfm.status}. */
@ApplicationScoped
public class PhaseConsumer {
    private final EventSignatures signatures;
    private static final Logger LOG = Logger.getLogger(PhaseConsumer.class);

    private final ValidationService validation;
    private final StatusPublisher status;
    private final SecretBox box;

    public PhaseConsumer(ValidationService validation, StatusPublisher status, SecretBox box, EventSignatures signatures) {
        this.signatures = signatures;
        this.validation = validation;
        this.status = status;
        this.box = box;
    }

    @Incoming("phases-in")
    @RunOnVirtualThread
    public void onPhase(String json, Optional<IncomingCloudEventMetadata> ce) {
        if (!(signatures.decode(EventSigner.PHASES, json, ce, PhaseEvent.class) instanceof PhaseEvent.Validate phase)) {
            return; // the validator acts on validate commands only
        }
        List<ValidationCheck> checks;
        try {
            RedisEndpoint source = RedisEndpoint.parse(box.open(phase.source().sealed(), SecretBox.context(phase.migrationId(), SecretBox.SOURCE)));
            RedisEndpoint target = RedisEndpoint.parse(box.open(phase.target().sealed(), SecretBox.context(phase.migrationId(), SecretBox.TARGET)));
            long t0 = System.nanoTime();
            checks = validation.validate(source, target, phase.options());
            LOG.infof("migration %s run %d: validated %s -> %s in %d ms: %d error(s)", phase.migrationId(), phase.run(),
                    source, target, (System.nanoTime() - t0) / 1_000_000,
                    checks.stream().filter(c -> c.severity() == Severity.ERROR).count());
        } catch (SecretBox.SecretException e) {
            checks = List.of(new ValidationCheck("secrets", Severity.ERROR,
                    "the validator cannot open the endpoint credentials: " + e.getMessage(),
                    "give every dfmigrate service the same DFM_SECRET_KEY as the orchestrator"));
        } catch (RuntimeException e) {
            LOG.errorf("migration %s: validation failed unexpectedly: %s", phase.migrationId(), e.toString());
            checks = List.of(new ValidationCheck("validator", Severity.ERROR, "validation could not run: " + e.getMessage(),
                    "see the validator log; validate again"));
        }
        status.publish(StatusEvent.validation(RunKey.of(phase), status.worker(), checks));
    }
}
