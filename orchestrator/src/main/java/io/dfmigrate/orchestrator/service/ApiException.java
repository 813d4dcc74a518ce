package io.dfmigrate.orchestrator.service;

import java.util.List;

/** A refusal that becomes a problem+json response with {@code status}; never carries a secret. */
public class ApiException extends RuntimeException {
    private final int status;
    private final String title;
    private final List<FieldError> errors;
    private final String state;
    private final List<String> allowedActions;

    public ApiException(int status, String title, String detail, List<FieldError> errors, String state,
                        List<String> allowedActions) {
        super(detail);
        this.status = status;
        this.title = title;
        this.errors = errors;
        this.state = state;
        this.allowedActions = allowedActions;
    }

    public static ApiException badRequest(List<FieldError> errors) {
        String detail = errors.size() == 1 ? errors.get(0).field() + ": " + errors.get(0).message()
                : errors.size() + " fields are invalid: " + String.join(", ", errors.stream().map(FieldError::field).toList());
        return new ApiException(400, "Invalid request", detail, errors, null, null);
    }

    public static ApiException badRequest(String field, String message) {
        return badRequest(List.of(new FieldError(field, message)));
    }

    public static ApiException notFound(String id) {
        return new ApiException(404, "Migration not found", "no migration with id " + id, null, null, null);
    }

    /** 404 for something of an existing migration that is not there (e.g. no verification yet). */
    public static ApiException nothingYet(String detail) {
        return new ApiException(404, "Not found", detail, null, null, null);
    }

    public static ApiException tooMany(String detail) {
        return new ApiException(429, "Too Many Requests", detail, null, null, null);
    }

    /** 502: a server the migration names (its source, its target) could not answer what the request needs. */
    public static ApiException unavailable(String detail) {
        return new ApiException(502, "Server unavailable", detail, null, null, null);
    }

    public static ApiException conflict(String detail, String state, List<String> allowedActions) {
        return new ApiException(409, "Action not allowed in this state", detail, null, state, allowedActions);
    }

    public int status() {
        return status;
    }

    public String title() {
        return title;
    }

    public List<FieldError> errors() {
        return errors;
    }

    public String state() {
        return state;
    }

    public List<String> allowedActions() {
        return allowedActions;
    }
}
