package io.mppbroker.reconciliation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mppbroker.reconciliation.ExternalCharges.ExternalCharge;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExternalChargesTest {

    @Test
    void readsStripesDashboardExport() {
        // Column names as Stripe's payments export writes them; a BOM as spreadsheets save it.
        String csv = "\uFEFFid,Created (UTC),Amount,Amount Refunded,Currency,Status,PaymentIntent ID\r\n"
                + "ch_3Abc,2026-01-11 15:00:05,50.00,0.00,usd,Paid,pi_human1\r\n"
                + "ch_3Def,2026-01-11 16:00:00,\"1,250.00\",0.00,usd,Paid,pi_big\r\n";
        List<ExternalCharge> charges = ExternalCharges.parse(csv);
        assertEquals(2, charges.size());
        assertEquals(new ExternalCharge(2, "pi_human1", new BigDecimal("50.00"), "usd",
                Instant.parse("2026-01-11T15:00:05Z"), null), charges.get(0));
        assertEquals(new BigDecimal("1250.00"), charges.get(1).amount());
        assertEquals(3, charges.get(1).line());
    }

    @Test
    void readsApiStyleMinorUnitsAndUnixTimes() {
        List<ExternalCharge> charges = ExternalCharges.parse("id,amount_minor,currency,created\npi_a,500,usd,1768122005\npi_b,500,jpy,1768122005\n");
        assertEquals(new BigDecimal("5.00"), charges.get(0).amount());
        assertEquals(new BigDecimal("500"), charges.get(1).amount(), "jpy has no minor unit");
        assertEquals(Instant.ofEpochSecond(1768122005), charges.get(0).created());
    }

    @Test
    void aChargeIdIsNotAReference() {
        ExternalCharge c = ExternalCharges.parse("id,amount,date\nch_1,5.00,2026-01-11\n").get(0);
        assertNull(c.reference(), "matched by amount and date instead");
        assertEquals(Instant.parse("2026-01-11T00:00:00Z"), c.created());
    }

    @Test
    void unreadableExportsNameTheProblem() {
        assertTrue(assertThrows(ExternalCharges.InvalidExport.class, () -> ExternalCharges.parse(""))
                .getMessage().contains("empty"));
        assertTrue(assertThrows(ExternalCharges.InvalidExport.class, () -> ExternalCharges.parse("id,currency\npi_1,usd\n"))
                .getMessage().contains("no amount column"));
        String bad = assertThrows(ExternalCharges.InvalidExport.class,
                () -> ExternalCharges.parse("id,amount,created\npi_1,5.00,2026-01-11\npi_2,five,2026-01-11\n")).getMessage();
        assertTrue(bad.contains("line 3") && bad.contains("not a number"), bad);
        String date = assertThrows(ExternalCharges.InvalidExport.class,
                () -> ExternalCharges.parse("id,amount,created\npi_1,5.00,11/01/2026\n")).getMessage();
        assertTrue(date.contains("line 2") && date.contains("unreadable date"), date);
    }
}
