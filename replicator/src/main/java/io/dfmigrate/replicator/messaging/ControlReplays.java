package io.dfmigrate.replicator.messaging;

import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.event.RunKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Signed control commands that must act once: a cutover (it pauses the source's writes) and a reconciliation pass (it
 * holds the appliers until the next replicate command). A signature proves who sent a command, not when: someone who can
 * write to {@code dfm.runs} could send a genuine old one again. So a command is acted on only the first time its id is
 * seen for its run, a reconciliation pass only if it is not older than one already seen, and a cutover only while it
 * is younger than {@code maxCutoverAge} (the longest write pause and a minute on the way): an older one cannot belong to
 * a cutover in progress, since the source lifts that pause by itself at its deadline and the orchestrator gives up on
 * it. The ids are kept per run until the run ends.
 */
final class ControlReplays {
    private final Duration maxCutoverAge;
    private final Map<RunKey, Set<String>> seen = new ConcurrentHashMap<>();
    private final Map<RunKey, Integer> reconcilePass = new ConcurrentHashMap<>();

    ControlReplays(Duration maxCutoverAge) {
        this.maxCutoverAge = maxCutoverAge;
    }

    /** Null when the command may act; else why it is dropped (for the log). */
    String refusal(PhaseEvent command, Instant now) {
        RunKey run = RunKey.of(command);
        if (command instanceof PhaseEvent.Cutover && command.time() != null && command.time().isBefore(now.minus(maxCutoverAge))) {
            return "a cutover command from " + command.time() + " is older than " + maxCutoverAge.toSeconds()
                    + " s (the longest write pause and a minute): a replay, not a cutover in progress";
        }
        if (command instanceof PhaseEvent.Reconcile r && r.pass() != null) {
            Integer latest = reconcilePass.get(run);
            if (latest != null && r.pass() < latest) {
                return "reconciliation pass " + r.pass() + " is older than pass " + latest + " of the same run: a replay";
            }
        }
        if (command.id() != null && !seen.computeIfAbsent(run, k -> ConcurrentHashMap.newKeySet()).add(command.id())) {
            return "command " + command.id() + " was acted on already: a replay";
        }
        if (command instanceof PhaseEvent.Reconcile r && r.pass() != null) {
            reconcilePass.merge(run, r.pass(), Math::max);
        }
        return null;
    }

    /** The run ended: its ids are no longer needed (a command of an ended run is ignored anyway). */
    void forget(RunKey run) {
        seen.remove(run);
        reconcilePass.remove(run);
    }
}
