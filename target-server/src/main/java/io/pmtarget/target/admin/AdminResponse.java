package io.pmtarget.target.admin;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One admin response: {@code ok} with ordered key/value fields, or {@code error} with a message.
 */
public record AdminResponse(boolean ok, String errorMessage, Map<String, String> fields) {

    public AdminResponse {
        Objects.requireNonNull(errorMessage, "errorMessage");
        fields = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(fields));
        if (!ok && !fields.isEmpty()) {
            throw new IllegalArgumentException("an error response has no fields");
        }
    }

    public static AdminResponse ok(Map<String, String> fields) {
        return new AdminResponse(true, "", fields);
    }

    public static AdminResponse error(String message) {
        return new AdminResponse(false, message, Map.of());
    }
}
