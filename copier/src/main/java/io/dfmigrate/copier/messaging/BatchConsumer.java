package io.dfmigrate.copier.messaging;

import io.dfmigrate.common.event.CopyBatch;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.copier.service.CopyService;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/** Key batches from {@code dfm.copy.batches}: every instance copies its share of the partitions. */
@ApplicationScoped
public class BatchConsumer {
    private final CopyService copy;

    public BatchConsumer(CopyService copy) {
        this.copy = copy;
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
