package io.dfmigrate.common.event;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.List;

/**
 * A record of {@code dfm.copy.batches}: key names of one database to copy or to verify, keyed by batch id. Its
 * {@code type} picks the record, so a consumer reads each one once into the right type (an unknown type is not read).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.EXISTING_PROPERTY, property = "type", visible = true)
@JsonSubTypes({@JsonSubTypes.Type(value = CopyBatch.class, name = EventTypes.COPY_BATCH),
        @JsonSubTypes.Type(value = VerifyBatch.class, name = EventTypes.VERIFY_BATCH)})
public sealed interface BatchRecord permits CopyBatch, VerifyBatch {
    String type();

    String batchId();

    String migrationId();

    int run();

    int db();

    List<byte[]> keys();

    EndpointRef source();

    EndpointRef target();

    MigrationOptions options();

    @JsonIgnore
    default RunKey runKey() {
        return new RunKey(migrationId(), run());
    }
}
