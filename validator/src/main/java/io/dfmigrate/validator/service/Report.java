package io.dfmigrate.validator.service;

import io.dfmigrate.common.event.Severity;
import io.dfmigrate.common.event.ValidationCheck;
import java.util.ArrayList;
import java.util.List;

/** The checks of one validation, in order. */
final class Report {
    final List<ValidationCheck> checks = new ArrayList<>();

    void add(String id, Severity severity, String message, String remediation) {
        checks.add(new ValidationCheck(id, severity, message, remediation));
    }
}
