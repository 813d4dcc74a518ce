package io.dfmigrate.copier.messaging;

import io.dfmigrate.common.event.CopyBatch;
import io.dfmigrate.common.event.EventTypes;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.event.VerifyBatch;
import io.dfmigrate.copier.service.CopyService;
import io.dfmigrate.copier.service.VerifyService;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/** Key batches from {@code dfm.copy.batches}: every instance copies (or verifies) its share of the partitions. */
@ApplicationScoped
public class BatchConsumer {
    private final CopyService copy;
    private final VerifyService verify;

    public BatchConsumer(CopyService copy, VerifyService verify) {
        this.copy = copy;
        this.verify = verify;
    }

    @Incoming("batches-in")
    @RunOnVirtualThread
    public void onBatch(String json) {
        if (EventTypes.VERIFY_BATCH.equals(Json.typeOf(json))) {
            VerifyBatch batch = Json.readOrWarn(json, VerifyBatch.class);
            if (batch != null) {
                verify.verify(batch);
            }
            return;
        }
        CopyBatch batch = Json.readOrWarn(json, CopyBatch.class);
        if (batch != null) {
            copy.copy(batch);
        }
    }
}
