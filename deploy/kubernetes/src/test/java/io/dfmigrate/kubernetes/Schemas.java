package io.dfmigrate.kubernetes;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Strict checks of one manifest. Core kinds: the fabric8 model, where every object keeps unknown fields in
 * {@code additionalProperties} (so those must all be empty). Custom resources and Kustomize files: the field paths their
 * schemas define ({@code []} for array items, {@code .*} for free-form maps), and the enums that matter.
 */
final class Schemas {
    static final class Invalid extends RuntimeException {
        Invalid(String message) {
            super(message);
        }
    }

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private static final Map<String, Class<?>> CORE = Map.of(
            "v1/Namespace", Namespace.class,
            "v1/ServiceAccount", ServiceAccount.class,
            "v1/Service", Service.class,
            "v1/ConfigMap", ConfigMap.class,
            "v1/Secret", Secret.class,
            "apps/v1/Deployment", Deployment.class,
            "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class,
            "networking.k8s.io/v1/NetworkPolicy", NetworkPolicy.class,
            "networking.k8s.io/v1/Ingress", Ingress.class);

    private static final List<String> KUSTOMIZE = List.of("resources[]", "components[]", "namespace", "namePrefix", "nameSuffix",
            "labels[].pairs.*", "labels[].includeSelectors", "labels[].includeTemplates", "commonAnnotations.*",
            "images[].name", "images[].newName", "images[].newTag", "images[].digest",
            "configMapGenerator[].name", "configMapGenerator[].behavior", "configMapGenerator[].literals[]", "configMapGenerator[].envs[]",
            "configMapGenerator[].files[]", "configMapGenerator[].options.*",
            "secretGenerator[].name", "secretGenerator[].behavior", "secretGenerator[].literals[]", "secretGenerator[].envs[]",
            "secretGenerator[].files[]", "secretGenerator[].type", "secretGenerator[].options.*",
            "generatorOptions.disableNameSuffixHash", "generatorOptions.labels.*", "generatorOptions.annotations.*",
            "patches[].path", "patches[].patch", "patches[].target.*", "patches[].options.*", "replicas[].name", "replicas[].count");

    /** Custom resources: allowed paths under {@code spec} (and the top-level fields of Kustomize files). */
    private static final Map<String, List<String>> CUSTOM = Map.of(
            "kafka.strimzi.io/v1beta2/KafkaTopic", List.of("spec.topicName", "spec.partitions", "spec.replicas", "spec.config.*"),
            "kafka.strimzi.io/v1beta2/KafkaUser", List.of("spec.authentication.type", "spec.authorization.type",
                    "spec.authorization.acls[].resource.type", "spec.authorization.acls[].resource.name",
                    "spec.authorization.acls[].resource.patternType", "spec.authorization.acls[].operations[]",
                    "spec.authorization.acls[].host", "spec.authorization.acls[].type", "spec.quotas.*", "spec.template.*"),
            "keda.sh/v1alpha1/ScaledObject", List.of("spec.scaleTargetRef.name", "spec.scaleTargetRef.kind", "spec.scaleTargetRef.apiVersion",
                    "spec.scaleTargetRef.envSourceContainerName", "spec.pollingInterval", "spec.cooldownPeriod", "spec.initialCooldownPeriod",
                    "spec.idleReplicaCount", "spec.minReplicaCount", "spec.maxReplicaCount", "spec.fallback.*", "spec.advanced.*",
                    "spec.triggers[].type", "spec.triggers[].name", "spec.triggers[].metadata.*", "spec.triggers[].metricType",
                    "spec.triggers[].useCachedMetrics", "spec.triggers[].authenticationRef.name", "spec.triggers[].authenticationRef.kind"),
            "keda.sh/v1alpha1/TriggerAuthentication", List.of("spec.secretTargetRef[].parameter", "spec.secretTargetRef[].name",
                    "spec.secretTargetRef[].key", "spec.env[].parameter", "spec.env[].name", "spec.env[].containerName", "spec.podIdentity.*"),
            "monitoring.coreos.com/v1/ServiceMonitor", List.of("spec.selector.matchLabels.*", "spec.selector.matchExpressions.*",
                    "spec.namespaceSelector.*", "spec.jobLabel", "spec.endpoints[].port", "spec.endpoints[].targetPort", "spec.endpoints[].path",
                    "spec.endpoints[].interval", "spec.endpoints[].scrapeTimeout", "spec.endpoints[].scheme", "spec.endpoints[].honorLabels",
                    "spec.endpoints[].params.*", "spec.endpoints[].authorization.*", "spec.endpoints[].tlsConfig.*",
                    "spec.endpoints[].relabelings.*", "spec.endpoints[].metricRelabelings.*"),
            "kustomize.config.k8s.io/v1beta1/Kustomization", KUSTOMIZE,
            "kustomize.config.k8s.io/v1alpha1/Component", KUSTOMIZE);

    private static final Map<String, Set<String>> ENUMS = Map.of(
            "spec.authentication.type", Set.of("tls", "tls-external", "scram-sha-512"),
            "spec.authorization.type", Set.of("simple"),
            "spec.authorization.acls[].resource.type", Set.of("topic", "group", "cluster", "transactionalId"),
            "spec.authorization.acls[].resource.patternType", Set.of("literal", "prefix"),
            "spec.authorization.acls[].operations[]", Set.of("Read", "Write", "Create", "Delete", "Alter", "Describe", "ClusterAction",
                    "AlterConfigs", "DescribeConfigs", "IdempotentWrite", "All"),
            "spec.triggers[].type", Set.of("kafka", "prometheus", "cpu", "memory", "cron"),
            "configMapGenerator[].behavior", Set.of("create", "merge", "replace"),
            "secretGenerator[].behavior", Set.of("create", "merge", "replace"),
            "op", Set.of("add", "remove", "replace", "move", "copy", "test"));

    private static final Pattern JSON_POINTER = Pattern.compile("(/[^/]+)+");

    /** Checks one document and returns its kind ("JsonPatch" for an RFC 6902 patch list). */
    static String check(JsonNode doc, String where) {
        if (doc.isArray()) {
            for (JsonNode op : doc) {
                paths(op, "", List.of("op", "path", "from", "value", "value.*"), where);
                if (!JSON_POINTER.matcher(op.path("path").asText()).matches()) {
                    throw new Invalid("JSON patch path '" + op.path("path").asText() + "' is not a JSON pointer");
                }
            }
            return "JsonPatch";
        }
        String apiVersion = doc.path("apiVersion").asText();
        String kind = doc.path("kind").asText();
        String key = apiVersion + "/" + kind;
        Class<?> core = CORE.get(key);
        if (core != null) {
            Object model;
            try {
                model = MAPPER.treeToValue(doc, core);
            } catch (Exception e) {
                throw new Invalid(kind + ": " + e.getMessage().lines().findFirst().orElse(""));
            }
            noAdditionalProperties(model, kind, new IdentityHashMap<>());
            return kind;
        }
        List<String> allowed = CUSTOM.get(key);
        if (allowed == null) {
            throw new Invalid("unknown kind or version: " + key);
        }
        if (!kind.startsWith("Kustom") && !kind.equals("Component")) {
            if (!doc.path("metadata").isObject()) {
                throw new Invalid(kind + " without metadata");
            }
            try {
                noAdditionalProperties(MAPPER.treeToValue(doc.get("metadata"), ObjectMeta.class), kind + ".metadata", new IdentityHashMap<>());
            } catch (Invalid e) {
                throw e;
            } catch (Exception e) {
                throw new Invalid(kind + ".metadata: " + e.getMessage().lines().findFirst().orElse(""));
            }
        }
        var fields = doc.fields();
        while (fields.hasNext()) {
            var f = fields.next();
            switch (f.getKey()) {
                case "apiVersion", "kind", "metadata" -> { }
                default -> paths(f.getValue(), f.getKey(), allowed, kind);
            }
        }
        return kind;
    }

    /** Every leaf path of {@code node} must be allowed; enum values must be known. */
    private static void paths(JsonNode node, String path, List<String> allowed, String where) {
        if (allowed.contains(path + ".*")) {
            return;
        }
        if (node.isObject()) {
            var it = node.fields();
            while (it.hasNext()) {
                var f = it.next();
                paths(f.getValue(), path.isEmpty() ? f.getKey() : path + "." + f.getKey(), allowed, where);
            }
            return;
        }
        if (node.isArray()) {
            for (JsonNode item : node) {
                paths(item, path + "[]", allowed, where);
            }
            return;
        }
        if (!allowed.contains(path)) {
            throw new Invalid(where + ": unknown field " + path);
        }
        Set<String> values = ENUMS.get(path);
        if (values != null && !values.contains(node.asText())) {
            throw new Invalid(where + ": " + path + " = '" + node.asText() + "' is not one of " + values);
        }
    }

    /** Walks a fabric8 model object: an unknown field anywhere ends in some object's additionalProperties. */
    private static void noAdditionalProperties(Object o, String path, IdentityHashMap<Object, Boolean> seen) {
        if (o == null || seen.put(o, Boolean.TRUE) != null) {
            return;
        }
        if (o instanceof Collection<?> c) {
            int i = 0;
            for (Object x : c) {
                noAdditionalProperties(x, path + "[" + i++ + "]", seen);
            }
            return;
        }
        if (o instanceof Map<?, ?> m) {
            m.forEach((k, v) -> noAdditionalProperties(v, path + "." + k, seen));
            return;
        }
        if (!o.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers()) || m.getDeclaringClass() == Object.class) {
                continue;
            }
            String n = m.getName();
            try {
                if (n.equals("getAdditionalProperties")) {
                    Map<?, ?> extra = (Map<?, ?>) m.invoke(o);
                    if (extra != null && !extra.isEmpty()) {
                        throw new Invalid("unknown field(s) " + extra.keySet() + " in " + path);
                    }
                } else if (n.startsWith("get") && n.length() > 3) {
                    noAdditionalProperties(m.invoke(o), path + "." + Character.toLowerCase(n.charAt(3)) + n.substring(4), seen);
                }
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private Schemas() {
    }
}
