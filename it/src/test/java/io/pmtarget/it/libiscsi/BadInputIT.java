package io.pmtarget.it.libiscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pmtarget.it.support.Exec;
import io.pmtarget.it.support.IscsiUrl;
import io.pmtarget.it.support.RawIscsiConnection;
import io.pmtarget.it.support.TargetOptions;
import io.pmtarget.it.support.TargetUnderTest;
import io.pmtarget.it.support.Targets;

import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad inputs over the wire. Every test ends by proving the target still serves: the process is
 * alive (same pid) and a fresh, correct login reads the capacity.
 */
class BadInputIT {

    private static final String CHAP_USER = "it-initiator";
    private static final String CHAP_SECRET = "initiator-secret-1";
    private static final TargetOptions PLAIN = TargetOptions.defaults().withLunSizeBytes(32 * TargetOptions.MIB);
    private static final TargetOptions CHAP = PLAIN.withChap(CHAP_USER, CHAP_SECRET);
    private static final TargetOptions MUTUAL = CHAP.withMutualChap("it-target", "target-secret-22");
    private static final String INITIATOR = "iqn.2026-11.io.pmtarget.it:badinput";
    /** RFC 7143 11.13.5: status class 2 (initiator error), detail 1 authentication, 3 not found. */
    private static final int STATUS_AUTH_FAILURE = 0x0201;
    private static final int STATUS_NOT_FOUND = 0x0203;

    static List<Targets.Factory> targets() {
        return Targets.enabled();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void wrongChapSecretIsRefusedAndTheTargetKeepsServing(Targets.Factory factory) throws Exception {
        try (TargetUnderTest t = factory.start(CHAP)) {
            long pid = t.pid();
            Exec.Result bad = LibiscsiTools.inq(t.url().withChap(CHAP_USER, "wrong-secret-123").toString());
            assertNotEquals(0, bad.exitCode(), "login with a wrong CHAP secret must fail\n" + bad.describe());
            assertTrue(bad.stderr().contains("Authentication failure"), bad.describe());
            Exec.Result none = LibiscsiTools.inq(t.url().withoutChap().toString());
            assertNotEquals(0, none.exitCode(), "login without CHAP must fail when CHAP is required\n"
                    + none.describe());
            assertStillServing(t, pid);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void mutualChapWithAWrongTargetSecretIsRejectedByTheInitiator(Targets.Factory factory) throws Exception {
        try (TargetUnderTest t = factory.start(MUTUAL)) {
            long pid = t.pid();
            IscsiUrl wrong = t.url().withMutualChap(MUTUAL.mutualUser(), "not-the-target-secret");
            Exec.Result bad = LibiscsiTools.inq(wrong.toString());
            assertNotEquals(0, bad.exitCode(), "initiator must refuse a target that fails mutual CHAP\n"
                    + bad.describe());
            assertStillServing(t, pid);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void unknownTargetNameIsRefused(Targets.Factory factory) throws Exception {
        try (TargetUnderTest t = factory.start(PLAIN)) {
            long pid = t.pid();
            Exec.Result bad = LibiscsiTools.inq(t.url().withIqn("iqn.2026-11.io.pmtarget.it:no-such-target").toString());
            assertNotEquals(0, bad.exitCode(), bad.describe());
            assertTrue(bad.stderr().contains("Target not found"), bad.describe());
            try (RawIscsiConnection raw = new RawIscsiConnection(t.port())) {
                assertEquals(STATUS_NOT_FOUND, raw.login(INITIATOR, "iqn.2026-11.io.pmtarget.it:no-such-target"),
                        "RFC 7143 11.13.5: unknown TargetName -> status 0x0203");
            }
            assertStillServing(t, pid);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void rawLoginWithoutChapIsRefusedWithAuthenticationFailure(Targets.Factory factory) throws Exception {
        try (TargetUnderTest t = factory.start(CHAP)) {
            long pid = t.pid();
            try (RawIscsiConnection raw = new RawIscsiConnection(t.port())) {
                // Skipping the security stage (CSG=1) is not allowed when CHAP is required.
                int status = raw.login(INITIATOR, t.iqn());
                assertNotEquals(0, status, "a login that skips CHAP must not reach full feature phase");
                assertEquals(0x02, status >>> 8, "status class must be 2 (initiator error), got 0x"
                        + Integer.toHexString(status));
            }
            assertStillServing(t, pid);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void garbageBytesCloseThatConnectionOnly(Targets.Factory factory) throws Exception {
        long seed = System.nanoTime();
        try (TargetUnderTest t = factory.start(PLAIN)) {
            long pid = t.pid();
            byte[] junk = new byte[8192];
            new SplittableRandom(seed).nextBytes(junk);
            try (RawIscsiConnection raw = new RawIscsiConnection(t.port())) {
                raw.sendRaw(junk);
                assertTrue(raw.awaitClosedByPeer(), "target must drop a connection that sends garbage, seed " + seed);
            }
            // A syntactically valid login header announcing a 16 MiB - 1 data segment.
            byte[] huge = new byte[RawIscsiConnection.BHS_BYTES];
            huge[0] = 0x43;
            huge[1] = (byte) 0x87;
            huge[5] = (byte) 0xff;
            huge[6] = (byte) 0xff;
            huge[7] = (byte) 0xff;
            try (RawIscsiConnection raw = new RawIscsiConnection(t.port())) {
                raw.sendRaw(huge);
                raw.sendRaw(new byte[4096]);
            }
            assertStillServing(t, pid);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void connectionDroppedMidCommandLeavesTheTargetServing(Targets.Factory factory) throws Exception {
        try (TargetUnderTest t = factory.start(PLAIN)) {
            long pid = t.pid();
            try (RawIscsiConnection raw = new RawIscsiConnection(t.port())) {
                assertEquals(0, raw.login(INITIATOR, t.iqn()), "plain login must succeed");
                // WRITE(10) of 8 blocks announcing 4096 bytes of immediate data; only 1000 arrive.
                raw.sendTruncatedWrite10(t.lun(), 64, 8, 4096, 1000);
            }
            try (RawIscsiConnection raw = new RawIscsiConnection(t.port())) {
                assertEquals(0, raw.login(INITIATOR, t.iqn()), "plain login must succeed");
                // WRITE(10) of 128 blocks, no immediate data: the target answers R2T and waits for Data-Out.
                raw.sendTruncatedWrite10(t.lun(), 1024, 128, 0, 0);
                Thread.sleep(200);
            }
            assertStillServing(t, pid);
        }
    }

    private static void assertStillServing(TargetUnderTest t, long pidBefore) {
        assertEquals(pidBefore, t.pid(), t.name() + " was restarted or died");
        Exec.Result good = LibiscsiTools.readCapacity16(t.url().toString());
        assertTrue(good.ok(), t.name() + " no longer serves a good login: " + good.describe());
        assertEquals(Long.toString(t.options().lunSizeBytes()), LibiscsiTools.field(good.stdout(), "Total size"),
                good.describe());
        assertFalse(good.stdout().isBlank());
    }
}
