package io.dfmigrate.orchestrator.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.dfmigrate.orchestrator.service.FieldError;
import java.util.List;

/**
 * An RFC 9457 problem ({@code application/problem+json}). {@code errors} names each bad field; {@code state} and
 * {@code allowedActions} say why an action was refused (409).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(String type, String title, int status, String detail, String instance, List<FieldError> errors,
                      String state, List<String> allowedActions) {
}
