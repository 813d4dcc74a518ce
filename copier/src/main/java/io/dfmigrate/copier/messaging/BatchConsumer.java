package io.dfmigrate.copier.messaging;

import io.dfmigrate.common.event.BatchRecord;
import io.dfmigrate.common.event.CopyBatch;
import io.dfmigrate.common.event.VerifyBatch;
import io.dfmigrate.common.messaging.EventSignatures;
import io.dfmigrate.common.secret.EventSigner;
import io.dfmigrate.copier.service.CopyService;
import io.dfmigrate.copier.service.VerifyService;
import io.smallrye.common.annotation.RunOnVirtualThread;
import io.smallrye.reactive.messaging.ce.IncomingCloudEventMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Key batches from {@code dfm.copy.batches}: every instance copies (or verifies) its share of the partitions. Batches are
 * signed by the scanning copier (DFM_EVENT_KEY), as phase commands are by the orchestrator.
 */
@ApplicationScoped
public class BatchConsumer {
    private final CopyService copy;
    private final VerifyService verify;
    private final EventSignatures signatures;

    public BatchConsumer(CopyService copy, VerifyService verify, EventSignatures signatures) {
        this.copy = copy;
        this.verify = verify;
        this.signatures = signatures;
    }

    /** A batch without the scanner's signature (anyone else writing to the topic) is dropped, logged and counted. */
    @Incoming("batches-in")
    @RunOnVirtualThread
    public void onBatch(String json, Optional<IncomingCloudEventMetadata> ce) {
        switch (signatures.decode(EventSigner.BATCHES, json, ce, BatchRecord.class)) {
            case CopyBatch batch -> copy.copy(batch);
            case VerifyBatch batch -> verify.verify(batch);
            case null -> { } // dropped: unsigned, unreadable or of an unknown type (logged)
        }
    }
}
