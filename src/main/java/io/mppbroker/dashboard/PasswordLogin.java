package io.mppbroker.dashboard;

import io.mppbroker.policy.ApproverIdentity;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.UsernamePasswordAuthenticationRequest;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.quarkus.vertx.http.runtime.security.HttpSecurityUtils;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Arrays;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Checks a dashboard login (the form POST to {@code quarkus.http.auth.form.post-location}): same origin, not
 * throttled, password matching the account's bcrypt hash, and listed as an approver in at least one policy.
 * The identity's roles are the approver's projects. Any failure is the same failure to the browser.
 */
@ApplicationScoped
public class PasswordLogin implements IdentityProvider<UsernamePasswordAuthenticationRequest> {

    private static final Logger LOG = Logger.getLogger(PasswordLogin.class);

    private final DashboardAccounts accounts;
    private final DashboardApprovers approvers;
    private final LoginThrottle throttle;
    private final SameOrigin sameOrigin;

    public PasswordLogin(DashboardAccounts accounts, DashboardApprovers approvers, LoginThrottle throttle, SameOrigin sameOrigin) {
        this.accounts = accounts;
        this.approvers = approvers;
        this.throttle = throttle;
        this.sameOrigin = sameOrigin;
    }

    @Override
    public Class<UsernamePasswordAuthenticationRequest> getRequestType() {
        return UsernamePasswordAuthenticationRequest.class;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(UsernamePasswordAuthenticationRequest request, AuthenticationRequestContext context) {
        RoutingContext http = HttpSecurityUtils.getRoutingContextAttribute(request);
        if (http != null && !sameOrigin.allows(http.request())) {
            LOG.warnf("dashboard login refused: cross-site POST (Origin %s)", http.request().getHeader("Origin"));
            return Uni.createFrom().failure(new AuthenticationFailedException("cross-site login"));
        }
        String id = request.getUsername() == null ? "" : request.getUsername().strip();
        if (!DashboardAccounts.ID.matcher(id).matches()) {
            return Uni.createFrom().failure(new AuthenticationFailedException("not an approver id"));
        }
        // bcrypt takes tens of milliseconds by design: never on the event loop.
        return context.runBlocking(() -> {
            char[] password = request.getPassword().getPassword();
            try {
                Optional<java.time.Duration> locked = throttle.lockedFor(id);
                if (locked.isPresent()) {
                    LOG.warnf("dashboard login for %s refused: locked for %d s after repeated wrong passwords",
                            id, Math.max(1, locked.get().toSeconds()));
                    throw new AuthenticationFailedException("throttled");
                }
                if (!accounts.verify(id, password)) {
                    throttle.failed(id);
                    LOG.infof("dashboard login for %s refused: wrong account or password", id);
                    throw new AuthenticationFailedException("wrong account or password");
                }
                ApproverIdentity approver = approvers.byId(id).orElseThrow(() -> {
                    LOG.infof("dashboard login for %s refused: no policy lists this approver", id);
                    return new AuthenticationFailedException("not an approver of any project");
                });
                throttle.succeeded(id);
                LOG.infof("dashboard login: %s (projects %s)", id, approver.projects());
                return identity(approver);
            } finally {
                Arrays.fill(password, '\0');
            }
        });
    }

    static SecurityIdentity identity(ApproverIdentity approver) {
        return QuarkusSecurityIdentity.builder()
                .setPrincipal(new QuarkusPrincipal(approver.approverId()))
                .addRoles(approver.projects())
                .build();
    }
}
