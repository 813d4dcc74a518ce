package io.dfmigrate.common;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.event.BatchRecord;
import io.dfmigrate.common.event.ChangeEvent;
import io.dfmigrate.common.event.CopyBatch;
import io.dfmigrate.common.event.EndpointRef;
import io.dfmigrate.common.event.EventTypes;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.event.MigrationOptions;
import io.dfmigrate.common.event.RunKey;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.common.event.VerifyBatch;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventContractTest {

    @Test
    void binaryKeysSurviveTheJsonOfBatchesAndChanges() {
        byte[] key = {0, (byte) 0xff, (byte) 0x80, '\n'};
        CopyBatch batch = new CopyBatch(EventTypes.COPY_BATCH, "m:1:0:0", "m", 1, 0, List.of(key),
                new EndpointRef("redis://h:1", "v1:x"), new EndpointRef("redis://h:2", "v1:y"), MigrationOptions.DEFAULTS, null);
        CopyBatch back = Json.read(Json.write(batch), CopyBatch.class);
        assertArrayEquals(key, back.keys().get(0));
        ChangeEvent change = Json.read(Json.write(new ChangeEvent("m", 1, 2, key, "set", 5)), ChangeEvent.class);
        assertArrayEquals(key, change.key());
    }

    @Test
    void aBatchRecordIsReadOnceIntoTheTypeItsTypeNamesAndAnUnknownTypeIsNotRead() {
        EndpointRef source = new EndpointRef("redis://h:1", "v1:x");
        EndpointRef target = new EndpointRef("redis://h:2", "v1:y");
        String copy = Json.write(new CopyBatch(EventTypes.COPY_BATCH, "m:1:0:0", "m", 1, 0, List.of(new byte[] {1}), source, target,
                MigrationOptions.DEFAULTS, 2));
        String verify = Json.write(new VerifyBatch(EventTypes.VERIFY_BATCH, "m:1:v:0", "m", 1, 3, VerifyBatch.TARGET_SIDE,
                List.of(new byte[] {2}), source, target, MigrationOptions.DEFAULTS, null));
        assertEquals(1, copy.split("\"type\"", -1).length - 1, "the type is written once: " + copy);
        CopyBatch c = assertInstanceOf(CopyBatch.class, Json.read(copy, BatchRecord.class));
        assertEquals(2, c.pass());
        assertEquals(new RunKey("m", 1), c.runKey());
        VerifyBatch v = assertInstanceOf(VerifyBatch.class, Json.read(verify, BatchRecord.class));
        assertEquals(VerifyBatch.TARGET_SIDE, v.side());
        assertEquals(3, v.db());
        assertNull(Json.readOrWarn(copy.replace(EventTypes.COPY_BATCH, "dfm.copy.batch.v9"), BatchRecord.class));
        assertNull(Json.readOrWarn(copy.replace("\"type\":\"" + EventTypes.COPY_BATCH + "\",", ""), BatchRecord.class));
    }

    @Test
    void perMasterCountsOfAClusterSourceTravelAndOlderReportsWithoutThemStillRead() {
        EndpointRef source = new EndpointRef("redis://h:1", "v1:x");
        CopyBatch batch = Json.read(Json.write(new CopyBatch(EventTypes.COPY_BATCH, "m:1:0:0", "m", 1, 0, List.of(new byte[] {1}), source,
                source, MigrationOptions.DEFAULTS, null, "10.0.0.1:7000")), CopyBatch.class);
        assertEquals("10.0.0.1:7000", batch.shard());
        RunKey run = new RunKey("m", 1);
        var scan = (StatusEvent.ScanCompleted) Json.read(Json.write(StatusEvent.scanCompleted(run, "c", new StatusEvent.ScanCounts(3, 40,
                null, List.of(new StatusEvent.ShardScan("10.0.0.1:7000", 1, 10))))), StatusEvent.class);
        assertEquals(List.of(new StatusEvent.ShardScan("10.0.0.1:7000", 1, 10)), scan.scan().shards());
        var repl = new StatusEvent.Replication(null, 4, 3L, "cap", null, List.of(new StatusEvent.ShardReplication("a:1", null, null, 4L, 3L)));
        assertEquals(repl, ((StatusEvent.ReplicationReport) Json.read(Json.write(StatusEvent.replication(run, "a", repl)), StatusEvent.class))
                .replication());
        var cut = new StatusEvent.Cutover(null, 9L, true, "d", List.of(new StatusEvent.ShardCutover("a:1", true, 5L, 0L)));
        assertEquals(cut, ((StatusEvent.CutoverDone) Json.read(Json.write(StatusEvent.cutoverDone(run, "r", cut)), StatusEvent.class)).cutover());
        // a report of a worker that knows no shards: the field is absent, and read as null
        String old = Json.write(StatusEvent.scanCompleted(run, "c", 2, 15, null));
        assertFalse(old.contains("shards"), old);
        assertNull(((StatusEvent.ScanCompleted) Json.read(old, StatusEvent.class)).scan().shards());
    }

    @Test
    void nullsAreOmittedAndUnknownFieldsIgnored() {
        String json = Json.write(StatusEvent.failed(new RunKey("m", 1), "copier/x", "copy", "boom"));
        assertFalse(json.contains("null"), json);
        assertTrue(json.contains("\"type\":\"dfm.status.failed.v1\""), json);
        StatusEvent.Failed e = (StatusEvent.Failed) Json.read(json.replace("{", "{\"addedInV2\":42,"), StatusEvent.class);
        assertEquals("boom", e.error());
        assertEquals("m:1:failed:copy", e.id());
    }

    @Test
    void optionsDefaultsAndProblems() {
        MigrationOptions o = new MigrationOptions(null, List.of(0, 0, -1), "", "redis", null, null, "explode", 0).withDefaults();
        assertEquals("redis", o.targetProfile());
        assertEquals(List.of("dbs[1]", "dbs[2]", "keyPattern", "targetProfile", "onKeyError", "maxSourceOpsPerSecond"),
                List.copyOf(new MigrationOptions(null, List.of(0, 0, -1), "", "redis", null, null, "explode", 0).problems().keySet()));
        assertTrue(MigrationOptions.DEFAULTS.problems().isEmpty());
        assertEquals(Boolean.TRUE, new MigrationOptions(null, null, null, null, null, null, null, null).withDefaults().guardTarget());
        assertEquals("scan", new MigrationOptions(null, null, null, null, null, null, null, null).withDefaults().copyMode());
        assertEquals(List.of("copyMode"),
                List.copyOf(new MigrationOptions(null, null, null, null, null, null, null, null, "rdb").problems().keySet()));
        var snapshotWithPattern = new MigrationOptions(null, null, "user:*", null, null, null, null, null, "snapshot").problems();
        assertTrue(snapshotWithPattern.get("keyPattern").contains("copyMode 'scan'"), snapshotWithPattern.toString());
        assertTrue(new MigrationOptions(null, List.of(0, 2), "*", null, null, null, null, 500, "snapshot").problems().isEmpty());
        // auto takes a pattern: it scans then (CopyModes)
        assertTrue(new MigrationOptions(null, null, "user:*", null, null, null, null, null, "auto").problems().isEmpty());
        assertEquals("must be 'scan', 'snapshot' or 'auto'",
                new MigrationOptions(null, null, null, null, null, null, null, null, "rdb").problems().get("copyMode"));
    }
}
