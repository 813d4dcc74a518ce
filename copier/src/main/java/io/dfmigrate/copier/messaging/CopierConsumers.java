package io.dfmigrate.copier.messaging;

import io.dfmigrate.common.event.CopyBatch;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.event.RunKey;
import io.dfmigrate.copier.service.CopyService;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/** The copier's three subscriptions: copy commands (scan), stop/complete commands (every instance), key batches. */
@ApplicationScoped
public class CopierConsumers {
    private final CopyService copy;

    public CopierConsumers(CopyService copy) {
        this.copy = copy;
    }

    @Incoming("phases-in")
    @RunOnVirtualThread
    public void onPhase(String json) {
        PhaseEvent phase = Json.readOrWarn(json, PhaseEvent.class);
        if (phase == null || copy.ended(RunKey.of(phase))) {
            return;
        }
        switch (phase) {
            case PhaseEvent.Copy c -> copy.scan(c);
            case PhaseEvent.Reconcile r -> copy.reconcile(r);
            case PhaseEvent.Validate v -> { }
            case PhaseEvent.Capture c -> { }
            case PhaseEvent.Replicate r -> { }
            case PhaseEvent.Cutover c -> { }
            case PhaseEvent.Stop s -> { }
            case PhaseEvent.Complete c -> { }
        }
    }

    @Incoming("control-in")
    public void onControl(String json) {
        PhaseEvent phase = Json.readOrWarn(json, PhaseEvent.class);
        if (phase instanceof PhaseEvent.Stop || phase instanceof PhaseEvent.Complete) {
            copy.markEnded(RunKey.of(phase));
        }
    }

    @Incoming("batches-in")
    @RunOnVirtualThread
    public void onBatch(String json) {
        CopyBatch batch = Json.readOrWarn(json, CopyBatch.class);
        if (batch != null) {
            copy.copy(batch);
        }
    }
}
