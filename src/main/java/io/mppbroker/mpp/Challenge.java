package io.mppbroker.mpp;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One {@code WWW-Authenticate: Payment} challenge (draft-httpauth-payment-00 §5.1).
 *
 * <p>{@code params} holds every parameter as received (lowercased names, unescaped values, in order), because
 * the seller recomputes the challenge id over what the credential echoes: the credential must carry all of
 * them unchanged, including ones this code does not know. The named components are views of the same values.
 *
 * <p>{@code description} is display text only; decisions belong on {@link #chargeRequest()}.
 */
public record Challenge(
        String id,
        String realm,
        String method,
        String intent,
        String request,
        Optional<String> expires,
        Optional<String> digest,
        Optional<String> description,
        Optional<String> opaque,
        Optional<String> header,
        Map<String, String> params) {

    public static final String STRIPE = "stripe";
    public static final String CHARGE = "charge";

    /** Required parameters, in the order the drafts list them. */
    public static final java.util.List<String> REQUIRED_PARAMS = java.util.List.of("id", "realm", "method", "intent", "request");

    /**
     * Headers a seller may not redirect the credential into: sending an SPT there would break the request's
     * framing or hand it to a proxy.
     */
    private static final Set<String> FORBIDDEN_CREDENTIAL_HEADERS = Set.of(
            "host", "content-length", "content-type", "content-encoding", "transfer-encoding", "connection",
            "upgrade", "expect", "te", "trailer", "keep-alive", "proxy-authorization", "proxy-connection",
            "cookie", "www-authenticate");

    public Challenge {
        Objects.requireNonNull(params, "params");
        Map<String, String> copy = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : params.entrySet()) {
            String name = Objects.requireNonNull(e.getKey(), "parameter name");
            if (!name.equals(name.toLowerCase(Locale.ROOT))) {
                throw new MppProtocolException("parameter name '" + name + "' must be lowercase in params");
            }
            copy.put(name, Objects.requireNonNull(e.getValue(), "parameter value"));
        }
        params = Collections.unmodifiableMap(copy);
        for (String name : REQUIRED_PARAMS) {
            String value = params.get(name);
            if (value == null) {
                throw new MppProtocolException("missing required parameter '" + name + "'");
            }
            if (value.isEmpty()) {
                throw new MppProtocolException("required parameter '" + name + "' is empty");
            }
        }
        // The named components must be the very values that will be echoed.
        requireSame("id", id, params);
        requireSame("realm", realm, params);
        requireSame("method", method, params);
        requireSame("intent", intent, params);
        requireSame("request", request, params);
        requireSame("expires", expires, params);
        requireSame("digest", digest, params);
        requireSame("description", description, params);
        requireSame("opaque", opaque, params);
        requireSame("header", header, params);
        header.ifPresent(Challenge::checkCredentialHeader);
    }

    /** Builds a challenge from received parameters (names lowercase); throws if a required one is missing. */
    public static Challenge fromParams(Map<String, String> params) {
        Objects.requireNonNull(params, "params");
        for (String name : REQUIRED_PARAMS) {
            String value = params.get(name);
            if (value == null) {
                throw new MppProtocolException("missing required parameter '" + name + "'");
            }
        }
        return new Challenge(
                params.get("id"),
                params.get("realm"),
                params.get("method"),
                params.get("intent"),
                params.get("request"),
                Optional.ofNullable(params.get("expires")),
                Optional.ofNullable(params.get("digest")),
                Optional.ofNullable(params.get("description")),
                Optional.ofNullable(params.get("opaque")),
                Optional.ofNullable(params.get("header")),
                params);
    }

    /** Method and intent are case-sensitive lowercase identifiers (core §6, stripe §Intent Identifier). */
    public boolean isStripeCharge() {
        return STRIPE.equals(method) && CHARGE.equals(intent);
    }

    /** The {@code expires} instant; empty when the seller sent none; throws when it is not RFC 3339. */
    public Optional<Instant> expiresAt() {
        return expires.map(value -> Rfc3339.parse(value, "expires parameter"));
    }

    /** True when the challenge carries an expiry at or before {@code now}. */
    public boolean isExpiredAt(Instant now) {
        return expiresAt().map(at -> !at.isAfter(now)).orElse(false);
    }

    /** Decodes {@code request} as a Stripe charge request; throws {@link MppProtocolException} when invalid. */
    public ChargeRequest chargeRequest() {
        return ChargeRequest.decode(request);
    }

    /** The header the credential goes in: the {@code header} parameter (mppx 0.11) or {@code Authorization}. */
    public String credentialHeaderName() {
        return header.orElse(MppHeaders.AUTHORIZATION_HEADER);
    }

    private static void requireSame(String name, String component, Map<String, String> params) {
        if (!Objects.equals(component, params.get(name))) {
            throw new MppProtocolException("component '" + name + "' differs from params");
        }
    }

    private static void requireSame(String name, Optional<String> component, Map<String, String> params) {
        Objects.requireNonNull(component, name);
        requireSame(name, component.orElse(null), params);
    }

    private static void checkCredentialHeader(String name) {
        if (name.isEmpty() || name.length() > 64 || !HeaderSyntax.isToken(name, 0, name.length())) {
            throw new MppProtocolException("parameter 'header' is not a valid header name");
        }
        if (FORBIDDEN_CREDENTIAL_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
            throw new MppProtocolException("parameter 'header' names '" + name + "', which cannot carry a credential");
        }
    }
}
