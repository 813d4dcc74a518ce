package io.dfmigrate.orchestrator.service.lifecycle;

import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.event.Severity;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.common.event.ValidationCheck;
import io.dfmigrate.orchestrator.persistence.Migration;
import io.dfmigrate.orchestrator.persistence.MigrationState;
import io.dfmigrate.orchestrator.persistence.Transition;
import io.dfmigrate.orchestrator.service.Journal;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/** The validator's report: VALIDATED, or VALIDATION_FAILED when any check is an error. */
public final class ValidationHandler {
    static void on(Journal j, StatusEvent.Validation e, String actor) {
        Migration m = j.migration();
        if (m.state != MigrationState.VALIDATING) {
            return;
        }
        List<ValidationCheck> checks = e.checks() == null ? List.of() : e.checks();
        m.validation = Json.write(checks);
        m.validatedAt = Instant.now();
        long errors = count(checks, Severity.ERROR);
        long warnings = count(checks, Severity.WARNING);
        j.transition(errors > 0 ? Transition.VALIDATION_FAILED : Transition.VALIDATION_PASSED, actor,
                errors + " error(s), " + warnings + " warning(s)");
    }

    public static List<ValidationCheck> checks(Migration m) {
        return m.validation == null ? List.of() : Arrays.asList(Json.read(m.validation, ValidationCheck[].class));
    }

    public static long count(List<ValidationCheck> checks, Severity severity) {
        return checks.stream().filter(c -> c.severity() == severity).count();
    }

    private ValidationHandler() {
    }
}
