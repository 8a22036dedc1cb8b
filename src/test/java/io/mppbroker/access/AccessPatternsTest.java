package io.mppbroker.access;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AccessPatternsTest {

    @Test
    void actionsMatchWithWildcardsIgnoringCase() {
        assertTrue(AccessPatterns.action("s3:GetObject", "s3:GetObject"));
        assertTrue(AccessPatterns.action("s3:GetObject", "s3:getobject"), "AWS actions are case-insensitive");
        assertTrue(AccessPatterns.action("s3:Get*", "s3:GetObjectAcl"));
        assertTrue(AccessPatterns.action("*", "charges:read"));
        assertTrue(AccessPatterns.action("charges:*", "charges:write"));
        assertTrue(AccessPatterns.action("s3:?etObject", "s3:GetObject"));
        assertFalse(AccessPatterns.action("s3:GetObject", "s3:GetObjectAcl"), "anchored");
        assertFalse(AccessPatterns.action("s3:GetObject", "s3:PutObject"));
        assertFalse(AccessPatterns.action("charges:read", "charges:write"));
        assertFalse(AccessPatterns.action("charges.read", "chargesXread"), "dots are literal, not regex");
    }

    @Test
    void arnsMatchSegmentBySegmentLikeAws() {
        assertTrue(AccessPatterns.arn("arn:aws:s3:::ledger-internal/*", "arn:aws:s3:::ledger-internal/2026/05/ledger.csv"));
        assertTrue(AccessPatterns.arn("arn:aws:s3:::ledger-internal/*", "arn:aws:s3:::ledger-internal/"));
        assertFalse(AccessPatterns.arn("arn:aws:s3:::ledger-internal/*", "arn:aws:s3:::ledger-internal"), "the bucket is not an object");
        assertFalse(AccessPatterns.arn("arn:aws:s3:::ledger-internal/*", "arn:aws:s3:::ledger-internal-copy/x"));
        assertFalse(AccessPatterns.arn("arn:aws:s3:::ledger-internal/*", "arn:aws:s3:::other/ledger-internal/x"));
        assertTrue(AccessPatterns.arn("arn:aws:dynamodb:*:123456789012:table/Ledger*",
                "arn:aws:dynamodb:eu-west-1:123456789012:table/LedgerEntries"));
        assertFalse(AccessPatterns.arn("arn:aws:dynamodb:*:123456789012:table/Ledger*",
                "arn:aws:dynamodb:eu-west-1:999999999999:table/LedgerEntries"), "account segment must match");
        // A wildcard never spans segments: the region '*' cannot swallow the account.
        assertFalse(AccessPatterns.arn("arn:aws:sqs:*:queue", "arn:aws:sqs:eu-west-1:123:queue"));
        assertTrue(AccessPatterns.arn("arn:aws:sqs:eu-west-?:123:queue", "arn:aws:sqs:eu-west-1:123:queue"));
        assertFalse(AccessPatterns.arn("arn:aws:s3:::b/*", "not-an-arn"));
        // The resource segment keeps its own colons (arn:...:function:name:alias).
        assertTrue(AccessPatterns.arn("arn:aws:lambda:us-east-1:123:function:bill*", "arn:aws:lambda:us-east-1:123:function:billing:prod"));
    }

    @Test
    void globsStopAtSlashUnlessDoubled() {
        assertTrue(AccessPatterns.glob("feature/*", "feature/ledger-fix"));
        assertFalse(AccessPatterns.glob("feature/*", "feature/a/b"));
        assertTrue(AccessPatterns.glob("feature/**", "feature/a/b"));
        assertFalse(AccessPatterns.glob("feature/*", "main"));
        assertFalse(AccessPatterns.glob("feature/*", "hotfix/feature/x"), "anchored at the start");
        assertTrue(AccessPatterns.glob("acme/billing-ledger", "acme/billing-ledger"));
        assertFalse(AccessPatterns.glob("acme/billing-ledger", "acme/billing-ledger2"));
        assertTrue(AccessPatterns.glob("acme/*", "acme/anything"));
        assertTrue(AccessPatterns.glob("release-?", "release-1"));
        assertFalse(AccessPatterns.glob("release-?", "release-10"));
        assertFalse(AccessPatterns.glob("a.b", "aXb"), "dots are literal");
    }

    @Test
    void resourcesChooseArnOrGlobByThePattern() {
        assertTrue(AccessPatterns.resource("*", "stripe.com/v1/charges/ch_1"));
        assertTrue(AccessPatterns.resource("stripe.com/v1/charges/*", "stripe.com/v1/charges/ch_1"));
        assertFalse(AccessPatterns.resource("stripe.com/v1/charges/*", "stripe.com/v1/customers/cus_1"));
        assertTrue(AccessPatterns.resource("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b"), "ARN '*' spans '/' in the resource segment");
        assertFalse(AccessPatterns.resource("arn:aws:s3:::bucket/*", "bucket/a"));
    }
}
