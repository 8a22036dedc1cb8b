package io.mppbroker.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class PolicyVersionTest {

    static final String FILE = Sha256.hex("project: research\n");

    @Test
    void withoutOverlaysTheVersionIsTheFileHash() {
        assertEquals(FILE, PolicyVersion.of(FILE, List.of()));
    }

    @Test
    void overlaysChangeTheVersionWhateverOrderTheyAreReadIn() {
        String a = Sha256.hex("per_day: 500.00");
        String b = Sha256.hex("per_task: 80.00");
        String sorted = a.compareTo(b) < 0 ? a + "\n" + b : b + "\n" + a;
        assertEquals(Sha256.hex(FILE + "\n" + sorted), PolicyVersion.of(FILE, List.of(a, b)));
        assertEquals(PolicyVersion.of(FILE, List.of(a, b)), PolicyVersion.of(FILE, List.of(b, a)));
        assertNotEquals(FILE, PolicyVersion.of(FILE, List.of(a)));
        assertNotEquals(PolicyVersion.of(FILE, List.of(a)), PolicyVersion.of(FILE, List.of(b)));
    }
}
