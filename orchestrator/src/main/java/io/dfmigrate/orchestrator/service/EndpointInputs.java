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

    /**
     * {@code topology} and its fields: a source may name a Sentinel and its master, or any node of a Redis Cluster; a
     * target is one server.
     */
    private static RedisEndpoint topology(String field, Dtos.EndpointInput input, RedisEndpoint endpoint, List<FieldError> errors) {
        String topology = input.topology() != null ? input.topology()
                : endpoint.sentinelMaster() != null ? "sentinel" : endpoint.cluster() ? "cluster" : "standalone";
        boolean sentinelFields = input.masterName() != null || input.sentinelUsername() != null || input.sentinelPassword() != null;
        switch (topology) {
            case "standalone" -> {
                if (sentinelFields || endpoint.sentinelMaster() != null) {
                    errors.add(new FieldError(field + ".masterName", "applies to topology 'sentinel' only"));
                    return null;
                }
                if (endpoint.cluster()) {
                    errors.add(new FieldError(field + ".uri", "has cluster=yes, which is topology 'cluster'"));
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
                if (field.equals("target")) {
                    errors.add(new FieldError(field + ".topology", "a target is one server: give its address as topology 'standalone'"));
                    return null;
                }
                if (sentinelFields || endpoint.sentinelMaster() != null) {
                    errors.add(new FieldError(field + ".masterName", "applies to topology 'sentinel' only"));
                    return null;
                }
                if (endpoint.db() != null && endpoint.db() != 0) {
                    errors.add(new FieldError(field + ".uri", "names database " + endpoint.db() + "; a Redis Cluster has only database 0"));
                    return null;
                }
                return endpoint.asCluster(); // the URI names any node; the masters are found from it
            }
            default -> {
                errors.add(new FieldError(field + ".topology", "must be 'standalone', 'sentinel' or 'cluster'"));
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
