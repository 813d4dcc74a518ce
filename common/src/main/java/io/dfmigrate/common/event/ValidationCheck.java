package io.dfmigrate.common.event;

/** One pre-flight check result; {@code remediation} tells the operator what to do (null when nothing to do). */
public record ValidationCheck(String id, Severity severity, String message, String remediation) {
}
