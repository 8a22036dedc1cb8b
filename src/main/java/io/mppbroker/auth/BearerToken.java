package io.mppbroker.auth;

import io.mppbroker.api.ApiProblem;

/** Extracts the bearer token from an Authorization header. The token itself is never logged. */
public final class BearerToken {

    private BearerToken() {}

    public static String from(String authorizationHeader) {
        if (authorizationHeader == null || authorizationHeader.isBlank()) {
            throw ApiProblem.unauthorized("missing Authorization: Bearer <token>");
        }
        String value = authorizationHeader.strip();
        if (value.length() < 8 || !value.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw ApiProblem.unauthorized("Authorization must use the Bearer scheme");
        }
        String token = value.substring(7).strip();
        if (token.isEmpty() || token.length() > 512) {
            throw ApiProblem.unauthorized("malformed bearer token");
        }
        return token;
    }
}
