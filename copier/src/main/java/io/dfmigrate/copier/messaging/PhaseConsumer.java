package io.dfmigrate.copier.messaging;

import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.event.RunKey;
import io.dfmigrate.common.messaging.EventSignatures;
import io.dfmigrate.common.secret.EventSigner;
import io.dfmigrate.copier.service.CopyService;
import io.dfmigrate.copier.service.VerifyService;
import io.smallrye.common.annotation.RunOnVirtualThread;
import io.smallrye.reactive.messaging.ce.IncomingCloudEventMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/** The copier's commands: copy, reconcile and verify (one instance of the group scans), stop and complete (every instance). */
@ApplicationScoped
public class PhaseConsumer {
    private final EventSignatures signatures;
    private final CopyService copy;
    private final VerifyService verify;

    public PhaseConsumer(CopyService copy, VerifyService verify, EventSignatures signatures) {
        this.signatures = signatures;
        this.copy = copy;
        this.verify = verify;
    }

    @Incoming("phases-in")
    @RunOnVirtualThread
    public void onPhase(String json, Optional<IncomingCloudEventMetadata> ce) {
        PhaseEvent phase = signatures.decode(EventSigner.PHASES, json, ce, PhaseEvent.class);
        if (phase instanceof PhaseEvent.Verify v) {
            verify.scan(v); // also for a stopped or completed run
            return;
        }
        if (phase == null || copy.ended(RunKey.of(phase))) {
            return;
        }
        switch (phase) {
            case PhaseEvent.Copy c -> copy.scan(c);
            case PhaseEvent.Reconcile r -> copy.reconcile(r);
            // the other services' commands; stop and complete arrive on control-in
            case PhaseEvent.Validate v -> { }
            case PhaseEvent.Capture c -> { }
            case PhaseEvent.Replicate r -> { }
            case PhaseEvent.Cutover c -> { }
            case PhaseEvent.Stop s -> { }
            case PhaseEvent.Complete c -> { }
            case PhaseEvent.Verify v -> { }
        }
    }

    /** The control commands, from the compacted dfm.runs: the live runs' latest ones first when this instance starts. */
    @Incoming("control-in")
    public void onControl(String json, Optional<IncomingCloudEventMetadata> ce) {
        if (json == null) {
            return; // a deleted command of an ended run (a tombstone on dfm.runs)
        }
        PhaseEvent phase = signatures.decode(EventSigner.PHASES, json, ce, PhaseEvent.class);
        if (phase instanceof PhaseEvent.Stop || phase instanceof PhaseEvent.Complete) {
            copy.markEnded(RunKey.of(phase));
        }
    }
}
