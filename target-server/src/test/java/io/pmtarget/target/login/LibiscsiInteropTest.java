package io.pmtarget.target.login;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A real initiator (libiscsi's iscsi-ls, Debian package libiscsi-bin) drives discovery login,
 * CHAP, mutual CHAP and SendTargets through {@link MiniLoginServer}. Skipped (and reported as
 * skipped) where iscsi-ls is not installed.
 */
class LibiscsiInteropTest {
    private static final String INITIATOR = "iqn.2026-11.test:iscsi-ls";
    private static final NegotiationLimits NO_DIGESTS = NegotiationLimits.fromRfcKeys(
            java.util.Map.of("HeaderDigest", "None", "DataDigest", "None"));
    private final List<String> closed = new ArrayList<>();

    private static boolean haveIscsiLs() {
        return new File("/usr/bin/iscsi-ls").canExecute();
    }

    private static TargetPolicy target(String name, Set<String> initiators, int tpgt) {
        return new TargetPolicy(name, null, initiators, false, AuthPolicy.NONE, NO_DIGESTS,
                List.of(new Portal("127.0.0.1", 3260), new Portal("127.0.0.2", 3261)), tpgt);
    }

    private MiniLoginServer server(AuthPolicy discoveryAuth) throws Exception {
        StaticTargetDirectory d = new StaticTargetDirectory(List.of(
                target("iqn.2026-11.io.pmtarget:alpha", Set.of(INITIATOR), 1),
                target("iqn.2026-11.io.pmtarget:hidden", Set.of("iqn.2026-11.test:someone-else"), 2),
                target("iqn.2026-11.io.pmtarget:beta", Set.of(INITIATOR), 3)),
                discoveryAuth, true, NO_DIGESTS);
        return new MiniLoginServer(d, LoginFixture.registry(closed));
    }

    private static String[] run(String url) throws Exception {
        Process p = new ProcessBuilder("/usr/bin/iscsi-ls", "-i", INITIATOR, url)
                .redirectErrorStream(true).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("iscsi-ls timed out");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new String[] {Integer.toString(p.exitValue()), out};
    }

    @Test
    void discoveryWithoutAuthentication() throws Exception {
        assumeTrue(haveIscsiLs(), "iscsi-ls (libiscsi-bin) not installed");
        try (MiniLoginServer s = server(AuthPolicy.NONE)) {
            String[] r = run("iscsi://127.0.0.1:" + s.port());
            assertEquals("0", r[0], r[1]);
            assertTrue(r[1].contains("Target:iqn.2026-11.io.pmtarget:alpha Portal:127.0.0.1:3260,1"), r[1]);
            assertTrue(r[1].contains("Target:iqn.2026-11.io.pmtarget:beta Portal:127.0.0.2:3261,3"), r[1]);
            assertTrue(!r[1].contains("hidden"), r[1]);
            assertEquals(1, s.sessions.size(), s.errors.toString());
            assertEquals(SessionType.DISCOVERY, s.sessions.get(0).sessionType());
            assertEquals(List.of(), s.errors);
        }
    }

    @Test
    void discoveryWithChap() throws Exception {
        assumeTrue(haveIscsiLs(), "iscsi-ls (libiscsi-bin) not installed");
        AuthPolicy chap = AuthPolicy.chapRequired(new ChapCredential("lsuser", "ls-secret-1234"), null);
        try (MiniLoginServer s = server(chap)) {
            String[] ok = run("iscsi://lsuser%ls-secret-1234@127.0.0.1:" + s.port());
            assertEquals("0", ok[0], ok[1]);
            assertTrue(ok[1].contains("iqn.2026-11.io.pmtarget:alpha"), ok[1]);
            assertTrue(s.sessions.get(0).chapAuthenticated());

            String[] bad = run("iscsi://lsuser%wrong-secret-99@127.0.0.1:" + s.port());
            assertNotEquals("0", bad[0], bad[1]);
            String[] none = run("iscsi://127.0.0.1:" + s.port());
            assertNotEquals("0", none[0], none[1]);
            assertEquals(List.of(LoginStatus.AUTHENTICATION_FAILURE, LoginStatus.AUTHENTICATION_FAILURE),
                    s.failures);
        }
    }

    @Test
    void discoveryWithMutualChap() throws Exception {
        assumeTrue(haveIscsiLs(), "iscsi-ls (libiscsi-bin) not installed");
        AuthPolicy mutual = AuthPolicy.chapRequired(new ChapCredential("lsuser", "ls-secret-1234"),
                new ChapCredential("tgtuser", "tgt-secret-5678"));
        try (MiniLoginServer s = server(mutual)) {
            String base = "iscsi://lsuser%ls-secret-1234@127.0.0.1:" + s.port();
            String[] ok = run(base + "?target_user=tgtuser&target_password=tgt-secret-5678");
            assertEquals("0", ok[0], ok[1]);
            assertTrue(ok[1].contains("iqn.2026-11.io.pmtarget:beta"), ok[1]);
            // The initiator verifies our CHAP_R: with the wrong expected secret it must give up.
            String[] bad = run(base + "?target_user=tgtuser&target_password=not-the-target-pw");
            assertNotEquals("0", bad[0], bad[1]);
            assertEquals(1, s.sessions.size(), "only the first run reaches full feature phase");
        }
    }

    /**
     * A normal-session login with mutual CHAP and the full operational negotiation of libiscsi.
     * The mini server has no SCSI layer, so iscsi-inq itself fails after the login; the test
     * checks what the login produced.
     */
    @Test
    void normalSessionLoginWithMutualChap() throws Exception {
        assumeTrue(new File("/usr/bin/iscsi-inq").canExecute(), "iscsi-inq (libiscsi-bin) not installed");
        AuthPolicy mutual = AuthPolicy.chapRequired(new ChapCredential("inquser", "inq-secret-1234"),
                new ChapCredential("tgtuser", "tgt-secret-5678"));
        TargetPolicy t = new TargetPolicy("iqn.2026-11.io.pmtarget:gamma", "Gamma", Set.of(INITIATOR),
                false, mutual, NO_DIGESTS, List.of(new Portal("127.0.0.1", 3260)), 9);
        StaticTargetDirectory d = new StaticTargetDirectory(List.of(t), AuthPolicy.NONE, true, NO_DIGESTS);
        try (MiniLoginServer s = new MiniLoginServer(d, LoginFixture.registry(closed))) {
            Process p = new ProcessBuilder("/usr/bin/iscsi-inq", "-i", INITIATOR,
                    "iscsi://inquser%inq-secret-1234@127.0.0.1:" + s.port()
                    + "/iqn.2026-11.io.pmtarget:gamma/0?target_user=tgtuser&target_password=tgt-secret-5678")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            // libiscsi reconnects when the mini server drops the connection at the first SCSI
            // command, so wait for the first completed login, then stop the initiator.
            long deadlineMs = System.currentTimeMillis() + 20_000;
            while (s.sessions.isEmpty() && p.isAlive() && System.currentTimeMillis() < deadlineMs) {
                Thread.sleep(20);
            }
            p.destroyForcibly();
            assertTrue(p.waitFor(10, TimeUnit.SECONDS), "iscsi-inq did not stop");
            assertTrue(s.sessions.size() >= 1, "no login completed: " + s.errors + s.failures);
            assertEquals(List.of(), s.failures);
            NegotiatedSession n = s.sessions.get(0);
            assertEquals(SessionType.NORMAL, n.sessionType());
            assertEquals("iqn.2026-11.io.pmtarget:gamma", n.targetName());
            assertTrue(n.chapAuthenticated());
            assertNotEquals(0, n.tsih());
            OperationalParameters op = n.parameters();
            assertEquals(Digest.NONE, op.headerDigest());
            assertTrue(op.firstBurstLengthBytes() <= op.maxBurstLengthBytes());
            assertTrue(op.maxBurstLengthBytes() <= NO_DIGESTS.maxBurstLengthBytes());
            assertEquals(0, op.errorRecoveryLevel());
        }
    }
}
