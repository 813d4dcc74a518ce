package io.dfmigrate.copier.messaging;

import io.dfmigrate.common.event.CopyBatch;
import io.dfmigrate.common.event.EventTypes;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.event.PhaseEvent;
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
        if (phase == null || copy.ended(phase.migrationId(), phase.run())) {
            return;
        }
        if (EventTypes.PHASE_COPY.equals(phase.type())) {
            copy.scan(phase);
        } else if (EventTypes.PHASE_RECONCILE.equals(phase.type())) {
            copy.reconcile(phase);
        }
    }

    @Incoming("control-in")
    public void onControl(String json) {
        PhaseEvent phase = Json.readOrWarn(json, PhaseEvent.class);
        if (phase != null && (EventTypes.PHASE_STOP.equals(phase.type()) || EventTypes.PHASE_COMPLETE.equals(phase.type()))) {
            copy.markEnded(phase.migrationId(), phase.run());
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
