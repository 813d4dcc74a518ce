package io.dfmigrate.orchestrator.service;

/** One invalid field of a request ({@code field} as a JSON path, e.g. {@code source.uri}) and what is wrong with it. */
public record FieldError(String field, String message) {
}
