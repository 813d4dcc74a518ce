package io.dfmigrate.orchestrator.service;

import io.dfmigrate.common.endpoint.EndpointPolicy;
import io.dfmigrate.common.endpoint.InvalidEndpointException;
import io.dfmigrate.common.endpoint.RedisEndpoint;
import java.util.List;

/** An endpoint as the API takes it (URI, CA, topology): checked field by field into a {@link RedisEndpoint}. */
final class EndpointInputs {
    private EndpointInputs() {
    }

    /** The stored endpoint's address, from its masked URI: enough to compare servers without opening the credentials. */
    static RedisEndpoint address(String maskedUri) {
        try {
            return RedisEndpoint.parse(maskedUri);
        } catch (InvalidEndpointException e) {
            return null; // it was valid when stored; nothing to compare against
        }
    }

    /** {@code topology} and its fields: a source may name a Sentinel and its master; a target is one server. */
    private static RedisEndpoint topology(String field, Dtos.EndpointInput input, RedisEndpoint endpoint, List<FieldError> errors) {
        String topology = input.topology() == null ? (endpoint.sentinelMaster() != null ? "sentinel" : "standalone") : input.topology();
        boolean sentinelFields = input.masterName() != null || input.sentinelUsername() != null || input.sentinelPassword() != null;
        switch (topology) {
            case "standalone" -> {
                if (sentinelFields || endpoint.sentinelMaster() != null) {
                    errors.add(new FieldError(field + ".masterName", "applies to topology 'sentinel' only"));
                    return null;
                }
                return endpoint;
            }
            case "sentinel" -> {
                if (field.equals("target")) {
                    errors.add(new FieldError(field + ".topology", "a target is one server: give its address as topology 'standalone'"));
                    return null;
                }
                if (input.masterName() == null && endpoint.sentinelMaster() == null) {
                    errors.add(new FieldError(field + ".masterName", "is required with topology 'sentinel': the name the Sentinel monitors "
                            + "the master by (SENTINEL masters lists them)"));
                    return null;
                }
                try {
                    return input.masterName() == null ? endpoint
                            : endpoint.viaSentinel(input.masterName(), input.sentinelUsername(), input.sentinelPassword());
                } catch (InvalidEndpointException e) {
                    errors.add(new FieldError(field + ".masterName", e.getMessage()));
                    return null;
                }
            }
            case "cluster" -> {
                errors.add(new FieldError(field + ".topology", "'cluster' is not supported yet: migrate each master of the cluster as a "
                        + "standalone source into the same target (options.overwrite on all but the first)"));
                return null;
            }
            default -> {
                errors.add(new FieldError(field + ".topology", "must be 'standalone' or 'sentinel'"));
                return null;
            }
        }
    }

    static void sameServer(RedisEndpoint source, RedisEndpoint target, List<FieldError> errors) {
        if (source != null && target != null && source.host().equalsIgnoreCase(target.host()) && source.port() == target.port()) {
            errors.add(new FieldError("target.uri", "is the same server as the source; a migration needs two servers"));
        }
    }

    static RedisEndpoint endpoint(String field, Dtos.EndpointInput input, List<FieldError> errors) {
        if (input == null) {
            errors.add(new FieldError(field, "is required, e.g. {\"uri\": \"redis://user:password@host:6379\"}"));
            return null;
        }
        RedisEndpoint endpoint;
        try {
            endpoint = RedisEndpoint.parse(input.uri());
        } catch (InvalidEndpointException e) {
            errors.add(new FieldError(field + ".uri", e.getMessage()));
            return null;
        }
        if (input.caPem() != null) {
            try {
                endpoint = endpoint.withCaPem(input.caPem());
            } catch (InvalidEndpointException e) {
                errors.add(new FieldError(field + ".caPem", e.getMessage()));
                return null;
            }
        }
        endpoint = topology(field, input, endpoint, errors);
        if (endpoint == null) {
            return null;
        }
        try {
            EndpointPolicy.current().require(endpoint); // a name lookup only: nothing connects to it here
            return endpoint;
        } catch (EndpointPolicy.NotAllowedException e) {
            errors.add(new FieldError(field + ".uri", "is not allowed: " + e.getMessage()));
            return null;
        }
    }
}
