package io.mppbroker.payment;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mppbroker.audit.AuditChain;
import io.mppbroker.audit.AuditChainHead;
import io.mppbroker.audit.AuditEvent;
import io.mppbroker.testkit.MppTestSeller;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManagerFactory;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.hibernate.SessionFactory;
import org.hibernate.stat.Statistics;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What one auto-tier payment costs the database, counted by Hibernate's statistics over a run of sequential
 * payments (so a background job that happens to run in between adds a fraction, not a whole statement). Every
 * transaction that records an audit line also holds the audit chain's head row until it commits, so the
 * number of transactions bounds throughput more than anything else here. docs/benchmarks.md keeps the counts
 * before and after the hot-path work; the bounds below keep them from creeping back.
 */
@QuarkusTest
@QuarkusTestResource(value = FakeStripeResource.class, restrictToAnnotatedClass = true)
class PaymentRoundTripsTest {

    private static final Logger LOG = Logger.getLogger(PaymentRoundTripsTest.class);
    private static final int PAYMENTS = 20;
    /** The queries (other than loads and writes of entities) an auto payment makes. */
    private static final List<String> PAYMENT_PATH_QUERIES = List.of("pg_advisory_xact_lock", "budget_reservation",
            "BudgetReservation", "PolicyOverlay");

    static MppTestSeller seller;

    @Inject
    EntityManagerFactory emf;
    @Inject
    AuditChain chain;

    @BeforeAll
    static void startSeller() {
        seller = MppTestSeller.builder(FakeStripeResource.stripe().baseUrl()).stripeSecretKey("sk_test_seller_round_trips").start();
        seller.price("GET", "/penny", "50", "usd"); // 0.50: the smallest charge Stripe takes
    }

    @AfterAll
    static void stopSeller() {
        seller.close();
    }

    @Test
    void anAutoPaymentTakesFewTransactionsAndStatements() {
        pay(); // warm caches and lazy initialisation outside the count
        Statistics stats = emf.unwrap(SessionFactory.class).getStatistics();
        stats.setStatisticsEnabled(true);
        stats.clear();
        try {
            for (int i = 0; i < PAYMENTS; i++) pay();
            chain.sealPending(); // the last payment's lines, if the sealer has not got to them yet
            // Hibernate's statistics are global. Off the payment's path and counted apart: the audit sealer (it
            // seals committed lines into the chain in its own transactions: a check for pending lines, then a
            // transaction locking the head, moving a batch and advancing the head), the audit file exporter (it
            // reads sealed lines back) and the scheduled jobs (escalation, outbox, grant expiry...), whose polls
            // each are one transaction of one query.
            long sealerChecks = 0;
            long sealerBatches = 0;
            long exporter = 0;
            long background = 0;
            long backgroundSharedTx = 0;
            StringBuilder breakdown = new StringBuilder();
            for (String query : stats.getQueries()) {
                long n = stats.getQueryStatistics(query).getExecutionCount();
                breakdown.append(String.format("%n  %6.2f  %s", (double) n / PAYMENTS, query.replaceAll("\\s+", " ")));
                if (query.contains("SELECT 1 FROM audit_pending ORDER BY id LIMIT 1")) sealerChecks += n;
                else if (query.contains("DELETE FROM audit_pending")) sealerBatches += n;
                else if (query.contains("FROM audit_event WHERE seq > ")) exporter += n;
                else if (PAYMENT_PATH_QUERIES.stream().noneMatch(query::contains)) {
                    background += n;
                    // The push notifier reads a change's A2A tasks and whether any webhook exists in one transaction.
                    if (query.contains("PushTarget` WHERE kind = ")) backgroundSharedTx += n;
                }
            }
            long sealedLines = stats.getEntityStatistics(AuditEvent.class.getName()).getInsertCount();
            long headLocks = stats.getEntityStatistics(AuditChainHead.class.getName()).getLoadCount();
            long headMoves = stats.getEntityStatistics(AuditChainHead.class.getName()).getUpdateCount();
            long sealer = sealerChecks + sealerBatches + sealedLines + headLocks + headMoves;
            double transactions = (double) (stats.getTransactionCount() - sealerChecks - sealerBatches - exporter
                    - (background - backgroundSharedTx)) / PAYMENTS;
            double statements = (double) (stats.getPrepareStatementCount() - sealer - exporter - background) / PAYMENTS;
            LOG.infof("per auto payment: %.2f transactions, %.2f JDBC statements on its path; apart: audit sealer %.2f"
                    + " transactions sealing %.2f lines each, audit exporter %.2f, scheduled jobs %.2f (%d payments);"
                    + " queries per payment:%s", transactions, statements, (double) (sealerChecks + sealerBatches) / PAYMENTS,
                    sealerBatches == 0 ? 0.0 : (double) sealedLines / sealerBatches, (double) exporter / PAYMENTS,
                    (double) background / PAYMENTS, PAYMENTS, breakdown);
            assertTrue(sealedLines >= 5L * PAYMENTS, "every step of every payment (5 lines) was sealed: " + sealedLines);
            assertTrue(transactions <= 4.5, "transactions per auto payment: " + transactions);
            assertTrue(statements <= 21.5, "JDBC statements per auto payment: " + statements);
        } finally {
            stats.setStatisticsEnabled(false);
        }
    }

    private static void pay() {
        Map<String, Object> body = Map.of("task", "rt-" + UUID.randomUUID(), "purpose", "round trips",
                "request", Map.of("method", "GET", "url", seller.baseUrl() + "/penny"));
        String status = given().header("Authorization", PaymentFlowTest.AGENT).contentType(ContentType.JSON).body(body)
                .when().post("/v1/payments").then().statusCode(200).extract().path("status");
        assertEquals("paid", status);
    }
}
