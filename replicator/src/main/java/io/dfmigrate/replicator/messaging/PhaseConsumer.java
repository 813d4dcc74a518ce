package io.dfmigrate.replicator.messaging;

import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.event.RunKey;
import io.dfmigrate.common.messaging.EventSignatures;
import io.dfmigrate.common.secret.EventSigner;
import io.dfmigrate.replicator.service.ApplyService;
import io.dfmigrate.replicator.service.CaptureService;
import io.smallrye.common.annotation.RunOnVirtualThread;
import io.smallrye.reactive.messaging.ce.IncomingCloudEventMetadata;
import io.dfmigrate.replicator.config.ReplicatorConfig;
import java.time.Instant;
import org.jboss.logging.Logger;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * The replicator's subscriptions: capture commands (one instance of the group), control commands (every instance).
 * Changes are read by the appliers' own consumers ({@link ChangeLog}).
 */
@ApplicationScoped
public class PhaseConsumer {
    private static final Logger LOG = Logger.getLogger(PhaseConsumer.class);

    private final EventSignatures signatures;
    private final CaptureService capture;
    private final ApplyService apply;
    private final ControlReplays replays;

    public PhaseConsumer(CaptureService capture, ApplyService apply, EventSignatures signatures, ReplicatorConfig config) {
        this.signatures = signatures;
        this.capture = capture;
        this.apply = apply;
        // a minute more than the longest pause: a command delayed on its way (a slow relay, a busy broker) still acts
        this.replays = new ControlReplays(config.cutoverMaxPause().plusMinutes(1));
    }

    @Incoming("phases-in")
    @RunOnVirtualThread
    public void onPhase(String json, Optional<IncomingCloudEventMetadata> ce) {
        // a capture command is also how the orchestrator hands a silent replicator's capture to another instance
        if (signatures.decode(EventSigner.PHASES, json, ce, PhaseEvent.class) instanceof PhaseEvent.Capture c && !apply.ended(RunKey.of(c))) {
            capture.start(c);
        }
    }

    /** The control commands, from the compacted dfm.runs: the live runs' latest ones first when this instance starts. */
    @Incoming("control-in")
    @RunOnVirtualThread
    public void onControl(String json, Optional<IncomingCloudEventMetadata> ce) {
        if (json == null) {
            return; // a deleted command of an ended run (a tombstone on dfm.runs)
        }
        PhaseEvent phase = signatures.decode(EventSigner.PHASES, json, ce, PhaseEvent.class);
        if (phase == null) {
            return;
        }
        if (phase instanceof PhaseEvent.Cutover || phase instanceof PhaseEvent.Reconcile) {
            String replay = replays.refusal(phase, Instant.now());
            if (replay != null) {
                LOG.warnf("migration %s run %d: %s command dropped: %s", phase.migrationId(), phase.run(), phase.type(), replay);
                return;
            }
        }
        switch (phase) {
            case PhaseEvent.Replicate r -> apply.markReplicating(r);
            case PhaseEvent.Cutover c -> capture.cutover(c);
            case PhaseEvent.Reconcile r -> apply.markHolding(RunKey.of(r));
            case PhaseEvent.Stop s -> end(s);
            case PhaseEvent.Complete c -> end(c);
            // the validator's, the copier's (copy, verify), and capture commands (on phases-in)
            case PhaseEvent.Validate v -> { }
            case PhaseEvent.Capture c -> { }
            case PhaseEvent.Copy c -> { }
            case PhaseEvent.Verify v -> { }
        }
    }

    private void end(PhaseEvent phase) {
        replays.forget(RunKey.of(phase));
        apply.markEnded(RunKey.of(phase));
        capture.stop(phase);
    }
}
