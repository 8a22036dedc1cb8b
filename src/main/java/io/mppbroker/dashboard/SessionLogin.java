package io.mppbroker.dashboard;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.TrustedAuthenticationRequest;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Restores the identity of a dashboard session cookie on each request. The cookie only carries the approver
 * id (encrypted); the projects are looked up again, so policy changes apply at once, and a session of an
 * account removed from the accounts file ends.
 */
@ApplicationScoped
public class SessionLogin implements IdentityProvider<TrustedAuthenticationRequest> {

    private final DashboardAccounts accounts;
    private final DashboardApprovers approvers;

    public SessionLogin(DashboardAccounts accounts, DashboardApprovers approvers) {
        this.accounts = accounts;
        this.approvers = approvers;
    }

    @Override
    public Class<TrustedAuthenticationRequest> getRequestType() {
        return TrustedAuthenticationRequest.class;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(TrustedAuthenticationRequest request, AuthenticationRequestContext context) {
        String id = request.getPrincipal();
        // May re-read the accounts file (at most every 2 s): off the event loop.
        return context.runBlocking(() -> {
            if (!accounts.exists(id)) {
                throw new AuthenticationFailedException("account removed");
            }
            return PasswordLogin.identity(approvers.byId(id)
                    .orElseThrow(() -> new AuthenticationFailedException("no longer an approver of any project")));
        });
    }
}
