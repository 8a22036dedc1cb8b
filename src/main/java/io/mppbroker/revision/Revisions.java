package io.mppbroker.revision;

import io.mppbroker.payment.Ids;
import io.mppbroker.policy.Overlays;
import io.mppbroker.policy.PolicyVersion;
import io.mppbroker.policy.SellerAllowance;
import io.mppbroker.policy.Sha256;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The approvers' revisions of a project's policy: written with the approval, read by every decision. */
@ApplicationScoped
public class Revisions {

    /**
     * What one decision applies and names, from one read of the project's active overlays. The read stays in the
     * decision's transaction rather than in a cache: an overlay revoked or expired on another node must stop
     * applying at once, and a node-local cache could only learn of that from a wake-up that may be lost.
     */
    public record InForce(Overlays overlays, List<String> hashes) {
        public static final InForce NONE = new InForce(Overlays.NONE, List.of());

        /** The policy version a decision under these overlays is made under. */
        public String policyVersion(String fileHash) {
            return PolicyVersion.of(fileHash, hashes);
        }
    }

    @Transactional(Transactional.TxType.MANDATORY)
    public InForce inForce(String project, String task, String sellerHost, Instant now) {
        List<PolicyOverlay> active = PolicyOverlay.activeFor(project, now);
        return active.isEmpty() ? InForce.NONE : new InForce(overlays(active, task, sellerHost), hashes(active));
    }

    /** The overlays that apply to one payment now: the newest task budget of its task, allowances for its seller. */
    @Transactional(Transactional.TxType.MANDATORY)
    public Overlays forPayment(String project, String task, String sellerHost, Instant now) {
        return overlays(PolicyOverlay.activeFor(project, now), task, sellerHost);
    }

    /** Stable hashes of the project's active overlays, for the policy version recorded on decisions. */
    @Transactional(Transactional.TxType.MANDATORY)
    public List<String> activeHashes(String project, Instant now) {
        return hashes(PolicyOverlay.activeFor(project, now));
    }

    private static Overlays overlays(List<PolicyOverlay> active, String task, String sellerHost) {
        Optional<PolicyOverlay> taskBudget = active.stream()
                .filter(o -> o.kind == PolicyOverlay.Kind.TASK_BUDGET && o.task.equals(task))
                .max(Comparator.comparing(o -> o.createdAt));
        List<SellerAllowance> allowances = active.stream()
                .filter(o -> o.kind == PolicyOverlay.Kind.SELLER_ALLOWANCE && o.sellerHost.equalsIgnoreCase(sellerHost))
                .map(o -> new SellerAllowance(o.id, o.sellerHost, o.amount, o.createdBy))
                .toList();
        return new Overlays(taskBudget.map(o -> o.amount), allowances, taskBudget.map(o -> o.createdBy));
    }

    private static List<String> hashes(List<PolicyOverlay> active) {
        return active.stream()
                .map(o -> Sha256.hex(String.join("|", o.id, o.kind.name(), String.valueOf(o.task),
                        String.valueOf(o.sellerHost), o.amount.toPlainString(), o.expiresAt.toString())))
                .sorted()
                .toList();
    }

    @Transactional(Transactional.TxType.MANDATORY)
    public PolicyOverlay raiseTaskBudget(String project, String task, BigDecimal amount, Duration ttl, String by,
                                         String approvalId, Instant now) {
        return create(PolicyOverlay.Kind.TASK_BUDGET, project, task, null, amount, ttl, by, approvalId, now);
    }

    @Transactional(Transactional.TxType.MANDATORY)
    public PolicyOverlay allowSeller(String project, String sellerHost, BigDecimal maxAmount, Duration ttl, String by,
                                     String approvalId, Instant now) {
        return create(PolicyOverlay.Kind.SELLER_ALLOWANCE, project, null, sellerHost.toLowerCase(Locale.ROOT), maxAmount,
                ttl, by, approvalId, now);
    }

    private PolicyOverlay create(PolicyOverlay.Kind kind, String project, String task, String sellerHost,
                                 BigDecimal amount, Duration ttl, String by, String approvalId, Instant now) {
        PolicyOverlay o = new PolicyOverlay();
        o.id = Ids.next("ovl");
        o.project = project;
        o.kind = kind;
        o.task = task;
        o.sellerHost = sellerHost;
        o.amount = amount;
        o.expiresAt = now.plus(ttl);
        o.createdBy = by;
        o.approvalId = approvalId;
        o.createdAt = now;
        o.persist();
        return o;
    }
}
