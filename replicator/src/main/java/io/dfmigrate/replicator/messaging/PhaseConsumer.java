package io.dfmigrate.replicator.messaging;

import io.dfmigrate.common.event.EventTypes;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.replicator.service.ApplyService;
import io.dfmigrate.replicator.service.CaptureService;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * The replicator's subscriptions: capture commands (one instance of the group), control commands (every instance).
 * Changes are read by the appliers' own consumers ({@link ChangeLog}).
 */
@ApplicationScoped
public class PhaseConsumer {
    private final CaptureService capture;
    private final ApplyService apply;

    public PhaseConsumer(CaptureService capture, ApplyService apply) {
        this.capture = capture;
        this.apply = apply;
    }

    @Incoming("phases-in")
    @RunOnVirtualThread
    public void onPhase(String json) {
        PhaseEvent phase = Json.readOrWarn(json, PhaseEvent.class);
        // a capture command is also how the orchestrator hands a silent replicator's capture to another instance
        if (phase != null && EventTypes.PHASE_CAPTURE.equals(phase.type()) && !apply.ended(phase.migrationId(), phase.run())) {
            capture.start(phase);
        }
    }

    @Incoming("control-in")
    @RunOnVirtualThread
    public void onControl(String json) {
        PhaseEvent phase = Json.readOrWarn(json, PhaseEvent.class);
        if (phase == null) {
            return;
        }
        switch (phase.type()) {
            case EventTypes.PHASE_REPLICATE -> apply.markReplicating(phase);
            case EventTypes.PHASE_CUTOVER -> capture.cutover(phase);
            case EventTypes.PHASE_RECONCILE -> apply.markHolding(phase.migrationId(), phase.run());
            case EventTypes.PHASE_STOP, EventTypes.PHASE_COMPLETE -> {
                apply.markEnded(phase.migrationId(), phase.run());
                capture.stop(phase);
            }
            default -> {
            }
        }
    }
}
