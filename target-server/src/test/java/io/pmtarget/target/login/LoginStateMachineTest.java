package io.pmtarget.target.login;

import static io.pmtarget.target.login.LoginFixture.CHAP;
import static io.pmtarget.target.login.LoginFixture.INITIATOR;
import static io.pmtarget.target.login.LoginFixture.ISID;
import static io.pmtarget.target.login.LoginFixture.MUTUAL;
import static io.pmtarget.target.login.LoginFixture.TARGET;
import static io.pmtarget.target.login.LoginFixture.assertStatus;
import static io.pmtarget.target.login.LoginFixture.concat;
import static io.pmtarget.target.login.LoginFixture.directory;
import static io.pmtarget.target.login.LoginFixture.identity;
import static io.pmtarget.target.login.LoginFixture.keys;
import static io.pmtarget.target.login.LoginFixture.request;
import static io.pmtarget.target.login.LoginFixture.text;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Stages, transitions and every failure status of the login state machine. */
class LoginStateMachineTest {
    private final List<String> closed = new ArrayList<>();
    private final InMemorySessionRegistry registry = LoginFixture.registry(closed);

    private LoginStateMachine machine(AuthPolicy auth) {
        return LoginFixture.machine(directory(auth, NegotiationLimits.DEFAULTS), registry);
    }

    @Test
    void loginWithoutSecurityStageGoesStraightToFullFeature() {
        LoginResult r = machine(AuthPolicy.NONE).onLoginRequest(request(1, 3, true,
                concat(identity(), "MaxRecvDataSegmentLength=65536", "InitiatorAlias=host1")));
        assertStatus(LoginStatus.SUCCESS, r);
        assertEquals(LoginResult.Outcome.FULL_FEATURE, r.outcome());
        LoginResponse resp = r.response();
        assertTrue(resp.transit());
        assertEquals(1, resp.csg());
        assertEquals(3, resp.nsg());
        assertEquals(ISID, resp.isid());
        assertEquals(0x11, resp.initiatorTaskTag());
        assertNotEquals(0, resp.tsih());
        Map<String, String> k = keys(r);
        assertEquals("7", k.get("TargetPortalGroupTag"));
        assertEquals("Disk One", k.get("TargetAlias"));
        assertEquals("262144", k.get("MaxRecvDataSegmentLength"));
        NegotiatedSession s = r.session();
        assertEquals(resp.tsih(), s.tsih());
        assertEquals(SessionType.NORMAL, s.sessionType());
        assertEquals(INITIATOR, s.initiatorName());
        assertEquals("host1", s.initiatorAlias());
        assertEquals(TARGET, s.targetName());
        assertEquals(65536, s.parameters().initiatorMaxRecvDataSegmentLengthBytes());
        assertEquals(262144, s.parameters().targetMaxRecvDataSegmentLengthBytes());
        assertFalse(s.chapAuthenticated());
        assertFalse(s.reinstated());
    }

    @Test
    void authMethodNoneThenOperationalStage() {
        LoginStateMachine m = machine(AuthPolicy.NONE);
        LoginResult r1 = m.onLoginRequest(request(0, 1, true, concat(identity(), "AuthMethod=None")));
        assertStatus(LoginStatus.SUCCESS, r1);
        assertEquals(LoginResult.Outcome.CONTINUE, r1.outcome());
        assertEquals("None", keys(r1).get("AuthMethod"));
        assertTrue(r1.response().transit());
        assertEquals(0, r1.response().csg());
        assertEquals(1, r1.response().nsg());
        assertEquals(0, r1.response().tsih(), "TSIH only in the final response of a new session");
        LoginResult r2 = m.onLoginRequest(request(1, 3, false, "HeaderDigest=None"));
        assertEquals(LoginResult.Outcome.CONTINUE, r2.outcome());
        assertFalse(r2.response().transit());
        assertEquals("None", keys(r2).get("HeaderDigest"));
        assertFalse(keys(r2).containsKey("TargetPortalGroupTag"), "TPGT only in the first response");
        LoginResult r3 = m.onLoginRequest(request(1, 3, true, new byte[0]));
        assertEquals(LoginResult.Outcome.FULL_FEATURE, r3.outcome());
        assertThrows(IllegalStateException.class, () -> m.onLoginRequest(request(1, 3, true, new byte[0])));
    }

    @Test
    void chapLoginWithIndependentlyComputedResponse() throws Exception {
        LoginStateMachine m = machine(new AuthPolicy(false, CHAP, null));
        LoginResult r1 = m.onLoginRequest(request(0, 1, true, concat(identity(), "AuthMethod=CHAP,None")));
        assertEquals("CHAP", keys(r1).get("AuthMethod"));
        assertFalse(r1.response().transit(), "CHAP needs more steps: no transit yet");
        LoginResult r2 = m.onLoginRequest(request(0, 1, false, "CHAP_A=7,5"));
        Map<String, String> k2 = keys(r2);
        assertEquals("5", k2.get("CHAP_A"));
        String id = k2.get("CHAP_I");
        String challenge = k2.get("CHAP_C");
        int idValue = Integer.parseInt(id);
        assertTrue(idValue >= 0 && idValue <= 255, id);
        assertEquals(2 + 2 * 16, challenge.length(), "16-byte challenge in hex: " + challenge);
        LoginResult r3 = m.onLoginRequest(request(0, 1, true, "CHAP_N=alice",
                "CHAP_R=" + LoginFixture.chapResponse(id, CHAP.secret(), challenge)));
        assertStatus(LoginStatus.SUCCESS, r3);
        assertTrue(r3.response().transit());
        assertEquals(1, r3.response().nsg());
        assertFalse(keys(r3).containsKey("CHAP_R"), "no mutual CHAP asked");
        LoginResult r4 = m.onLoginRequest(request(1, 3, true, new byte[0]));
        assertEquals(LoginResult.Outcome.FULL_FEATURE, r4.outcome());
        assertTrue(r4.session().chapAuthenticated());
    }

    @Test
    void challengesDifferBetweenLogins() {
        String c1 = chapChallenge(machine(new AuthPolicy(true, CHAP, null)));
        String c2 = chapChallenge(machine(new AuthPolicy(true, CHAP, null)));
        assertNotEquals(c1, c2);
    }

    private static String chapChallenge(LoginStateMachine m) {
        m.onLoginRequest(request(0, 1, false, concat(identity(), "AuthMethod=CHAP")));
        return keys(m.onLoginRequest(request(0, 1, false, "CHAP_A=5"))).get("CHAP_C");
    }

    /** Runs AuthMethod and CHAP_A; returns {id, challenge}. */
    private static String[] startChap(LoginStateMachine m) {
        m.onLoginRequest(request(0, 1, true, concat(identity(), "AuthMethod=CHAP")));
        Map<String, String> k = keys(m.onLoginRequest(request(0, 1, false, "CHAP_A=5")));
        return new String[] {k.get("CHAP_I"), k.get("CHAP_C")};
    }

    @Test
    void mutualChapAnswersWithOurCredential() throws Exception {
        LoginStateMachine m = machine(AuthPolicy.chapRequired(CHAP, MUTUAL));
        String[] ours = startChap(m);
        String peerChallenge = "0x" + "aa".repeat(16);
        LoginResult r = m.onLoginRequest(request(0, 1, true, "CHAP_N=alice",
                "CHAP_R=" + LoginFixture.chapResponse(ours[0], CHAP.secret(), ours[1]),
                "CHAP_I=200", "CHAP_C=" + peerChallenge));
        assertStatus(LoginStatus.SUCCESS, r);
        Map<String, String> k = keys(r);
        assertEquals(MUTUAL.user(), k.get("CHAP_N"));
        assertEquals(LoginFixture.chapResponse("200", MUTUAL.secret(), peerChallenge), k.get("CHAP_R"));
        // Pinned vector computed outside Java: md5(0xc8 || "target-secret-2" || 0xaa * 16).
        assertEquals("0xcd2559c976ecbf20906486ed74b9cb66", k.get("CHAP_R"));
        assertTrue(r.response().transit());
    }

    @Test
    void chapResponseInBase64IsAccepted() throws Exception {
        LoginStateMachine m = machine(AuthPolicy.chapRequired(CHAP, null));
        String[] ours = startChap(m);
        String hex = LoginFixture.chapResponse(ours[0], CHAP.secret(), ours[1]);
        String b64 = "0b" + java.util.Base64.getEncoder().encodeToString(
                java.util.HexFormat.of().parseHex(hex.substring(2)));
        assertStatus(LoginStatus.SUCCESS, m.onLoginRequest(request(0, 1, true, "CHAP_N=alice", "CHAP_R=" + b64)));
    }

    @Test
    void chapFailuresAreAuthenticationFailures() throws Exception {
        LoginStateMachine wrongSecret = machine(AuthPolicy.chapRequired(CHAP, null));
        String[] c = startChap(wrongSecret);
        assertStatus(LoginStatus.AUTHENTICATION_FAILURE, wrongSecret.onLoginRequest(request(0, 1, true,
                "CHAP_N=alice", "CHAP_R=" + LoginFixture.chapResponse(c[0], "not-the-secret!", c[1]))));

        LoginStateMachine wrongUser = machine(AuthPolicy.chapRequired(CHAP, null));
        c = startChap(wrongUser);
        assertStatus(LoginStatus.AUTHENTICATION_FAILURE, wrongUser.onLoginRequest(request(0, 1, true,
                "CHAP_N=mallory", "CHAP_R=" + LoginFixture.chapResponse(c[0], CHAP.secret(), c[1]))));

        LoginStateMachine badEncoding = machine(AuthPolicy.chapRequired(CHAP, null));
        startChap(badEncoding);
        assertStatus(LoginStatus.AUTHENTICATION_FAILURE, badEncoding.onLoginRequest(request(0, 1, true,
                "CHAP_N=alice", "CHAP_R=deadbeef")));

        LoginStateMachine noMd5 = machine(AuthPolicy.chapRequired(CHAP, null));
        noMd5.onLoginRequest(request(0, 1, false, concat(identity(), "AuthMethod=CHAP")));
        assertStatus(LoginStatus.AUTHENTICATION_FAILURE, noMd5.onLoginRequest(request(0, 1, false, "CHAP_A=6,7")));
    }

    @Test
    void mutualChapFailures() throws Exception {
        LoginStateMachine noMutual = machine(AuthPolicy.chapRequired(CHAP, null));
        String[] c = startChap(noMutual);
        assertStatus(LoginStatus.AUTHENTICATION_FAILURE, noMutual.onLoginRequest(request(0, 1, true,
                "CHAP_N=alice", "CHAP_R=" + LoginFixture.chapResponse(c[0], CHAP.secret(), c[1]),
                "CHAP_I=1", "CHAP_C=0x" + "bb".repeat(16))));

        LoginStateMachine reflected = machine(AuthPolicy.chapRequired(CHAP, MUTUAL));
        c = startChap(reflected);
        assertStatus(LoginStatus.AUTHENTICATION_FAILURE, reflected.onLoginRequest(request(0, 1, true,
                "CHAP_N=alice", "CHAP_R=" + LoginFixture.chapResponse(c[0], CHAP.secret(), c[1]),
                "CHAP_I=" + c[0], "CHAP_C=" + c[1])));

        LoginStateMachine half = machine(AuthPolicy.chapRequired(CHAP, MUTUAL));
        c = startChap(half);
        assertStatus(LoginStatus.MISSING_PARAMETER, half.onLoginRequest(request(0, 1, true,
                "CHAP_N=alice", "CHAP_R=" + LoginFixture.chapResponse(c[0], CHAP.secret(), c[1]),
                "CHAP_I=1")));
    }

    @Test
    void missingChapKeysAreMissingParameter() {
        LoginStateMachine noA = machine(AuthPolicy.chapRequired(CHAP, null));
        noA.onLoginRequest(request(0, 1, false, concat(identity(), "AuthMethod=CHAP")));
        assertStatus(LoginStatus.MISSING_PARAMETER, noA.onLoginRequest(request(0, 1, false, "CHAP_N=alice")));

        LoginStateMachine noR = machine(AuthPolicy.chapRequired(CHAP, null));
        startChap(noR);
        assertStatus(LoginStatus.MISSING_PARAMETER, noR.onLoginRequest(request(0, 1, true, "CHAP_N=alice")));
    }

    @Test
    void requiredAuthCannotBeAvoided() {
        AuthPolicy required = AuthPolicy.chapRequired(CHAP, null);
        assertStatus(LoginStatus.AUTHENTICATION_FAILURE, machine(required).onLoginRequest(
                request(0, 1, true, concat(identity(), "AuthMethod=None"))));
        assertStatus(LoginStatus.AUTHENTICATION_FAILURE, machine(required).onLoginRequest(
                request(1, 3, true, identity())));
        assertStatus(LoginStatus.AUTHENTICATION_FAILURE, machine(required).onLoginRequest(
                request(0, 1, true, identity())));
        // CHAP not configured at all: an initiator insisting on CHAP cannot log in.
        assertStatus(LoginStatus.AUTHENTICATION_FAILURE, machine(AuthPolicy.NONE).onLoginRequest(
                request(0, 1, true, concat(identity(), "AuthMethod=CHAP"))));
    }

    @Test
    void authMethodListPicksFirstAllowed() {
        LoginResult optional = machine(new AuthPolicy(false, CHAP, null)).onLoginRequest(
                request(0, 1, true, concat(identity(), "AuthMethod=None,CHAP")));
        assertEquals("None", keys(optional).get("AuthMethod"));
        assertTrue(optional.response().transit());
        LoginResult required = machine(AuthPolicy.chapRequired(CHAP, null)).onLoginRequest(
                request(0, 1, true, concat(identity(), "AuthMethod=None,KRB5,CHAP")));
        assertEquals("CHAP", keys(required).get("AuthMethod"));
        assertFalse(required.response().transit());
    }

    @Test
    void chapKeysOutsideTheirStepAreInitiatorErrors() {
        LoginStateMachine early = machine(AuthPolicy.chapRequired(CHAP, null));
        early.onLoginRequest(request(0, 1, false, concat(identity(), "AuthMethod=CHAP")));
        assertStatus(LoginStatus.INITIATOR_ERROR, early.onLoginRequest(request(0, 1, false, "CHAP_A=5", "CHAP_R=0x00")));

        LoginStateMachine inOperational = machine(AuthPolicy.NONE);
        inOperational.onLoginRequest(request(0, 1, true, concat(identity(), "AuthMethod=None")));
        assertStatus(LoginStatus.INITIATOR_ERROR, inOperational.onLoginRequest(request(1, 3, true, "AuthMethod=CHAP")));
    }

    @Test
    void identityFailuresMapToTheirStatus() {
        assertStatus(LoginStatus.MISSING_PARAMETER, machine(AuthPolicy.NONE).onLoginRequest(
                request(0, 1, true, "TargetName=" + TARGET, "AuthMethod=None")));
        assertStatus(LoginStatus.MISSING_PARAMETER, machine(AuthPolicy.NONE).onLoginRequest(
                request(0, 1, true, "InitiatorName=" + INITIATOR, "AuthMethod=None")));
        assertStatus(LoginStatus.TARGET_NOT_FOUND, machine(AuthPolicy.NONE).onLoginRequest(
                request(0, 1, true, "InitiatorName=" + INITIATOR, "TargetName=iqn.2026-11.io.pmtarget:nope")));
        assertStatus(LoginStatus.AUTHORIZATION_FAILURE, machine(AuthPolicy.NONE).onLoginRequest(
                request(0, 1, true, "InitiatorName=iqn.2000-01.com.example:intruder", "TargetName=" + TARGET)));
        assertStatus(LoginStatus.SESSION_TYPE_NOT_SUPPORTED, machine(AuthPolicy.NONE).onLoginRequest(
                request(0, 1, true, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET, "SessionType=Bogus")));
        assertStatus(LoginStatus.INITIATOR_ERROR, machine(AuthPolicy.NONE).onLoginRequest(
                request(0, 1, true, "InitiatorName=not-an-iscsi-name", "TargetName=" + TARGET)));
    }

    @Test
    void directoryStatesMapToRemovedAndUnavailable() {
        TargetPolicy policy = LoginFixture.target(TARGET, AuthPolicy.NONE, NegotiationLimits.DEFAULTS);
        for (TargetDirectory.State state : new TargetDirectory.State[] {
            TargetDirectory.State.REMOVED, TargetDirectory.State.UNAVAILABLE}) {
            TargetDirectory d = new TargetDirectory() {
                @Override
                public Lookup lookup(String targetName) {
                    return new Lookup(state, null);
                }

                @Override
                public List<TargetPolicy> targets() {
                    return List.of(policy);
                }

                @Override
                public AuthPolicy discoveryAuth() {
                    return AuthPolicy.NONE;
                }

                @Override
                public boolean discoveryEnabled() {
                    return false;
                }
            };
            LoginStatus expected = state == TargetDirectory.State.REMOVED
                    ? LoginStatus.TARGET_REMOVED : LoginStatus.SERVICE_UNAVAILABLE;
            assertStatus(expected, LoginFixture.machine(d, registry).onLoginRequest(request(0, 1, true, identity())));
            assertStatus(LoginStatus.SESSION_TYPE_NOT_SUPPORTED, LoginFixture.machine(d, registry)
                    .onLoginRequest(request(0, 1, true, "InitiatorName=" + INITIATOR, "SessionType=Discovery")));
        }
    }

    @Test
    void headerViolations() {
        LoginRequest v1 = new LoginRequest(true, false, 0, 1, 2, 1, ISID, 0, 1, 1, 0, 0, text(identity()));
        assertStatus(LoginStatus.UNSUPPORTED_VERSION, machine(AuthPolicy.NONE).onLoginRequest(v1));
        LoginRequest tc = new LoginRequest(true, true, 0, 1, 0, 0, ISID, 0, 1, 1, 0, 0, text(identity()));
        assertStatus(LoginStatus.INITIATOR_ERROR, machine(AuthPolicy.NONE).onLoginRequest(tc));
        assertStatus(LoginStatus.INITIATOR_ERROR, machine(AuthPolicy.NONE).onLoginRequest(request(3, 3, true, identity())));
        assertStatus(LoginStatus.INITIATOR_ERROR, machine(AuthPolicy.NONE).onLoginRequest(request(0, 2, true, identity())));
        assertStatus(LoginStatus.INITIATOR_ERROR, machine(AuthPolicy.NONE).onLoginRequest(request(1, 1, true, identity())));
        assertStatus(LoginStatus.INITIATOR_ERROR, machine(AuthPolicy.NONE).onLoginRequest(
                request(0, 1, true, text("InitiatorName=" + INITIATOR, "NoEquals"))));
    }

    @Test
    void isidOrStageChangeDuringLoginIsInitiatorError() {
        LoginStateMachine m = machine(AuthPolicy.NONE);
        m.onLoginRequest(request(0, 1, false, concat(identity(), "AuthMethod=None")));
        LoginRequest otherIsid = new LoginRequest(true, false, 0, 1, 0, 0, ISID + 1, 0, 1, 1, 0, 0, new byte[0]);
        assertStatus(LoginStatus.INITIATOR_ERROR, m.onLoginRequest(otherIsid));

        LoginStateMachine stage = machine(AuthPolicy.NONE);
        stage.onLoginRequest(request(0, 1, false, concat(identity(), "AuthMethod=None")));
        assertStatus(LoginStatus.INITIATOR_ERROR, stage.onLoginRequest(request(1, 3, true, new byte[0])));
    }

    @Test
    void identityRepeatIsToleratedButChangeIsNot() {
        LoginStateMachine same = machine(AuthPolicy.NONE);
        same.onLoginRequest(request(0, 1, true, concat(identity(), "AuthMethod=None")));
        assertEquals(LoginResult.Outcome.FULL_FEATURE,
                same.onLoginRequest(request(1, 3, true, "InitiatorName=" + INITIATOR)).outcome());
        LoginStateMachine changed = machine(AuthPolicy.NONE);
        changed.onLoginRequest(request(0, 1, true, concat(identity(), "AuthMethod=None")));
        assertStatus(LoginStatus.INITIATOR_ERROR, changed.onLoginRequest(
                request(1, 3, true, "TargetName=" + LoginFixture.OTHER_TARGET)));
    }

    @Test
    void continuedTextIsJoinedAcrossPdusAndBounded() {
        LoginStateMachine m = machine(AuthPolicy.NONE);
        byte[] all = text(concat(identity(), "AuthMethod=None"));
        int cut = 20; // inside "TargetName=..."
        LoginRequest part1 = new LoginRequest(false, true, 0, 0, 0, 0, ISID, 0, 1, 1, 0, 0,
                Arrays.copyOf(all, cut));
        LoginResult r1 = m.onLoginRequest(part1);
        assertStatus(LoginStatus.SUCCESS, r1);
        assertEquals(0, r1.response().data().length);
        assertFalse(r1.response().transit());
        LoginResult r2 = m.onLoginRequest(request(0, 1, true, Arrays.copyOfRange(all, cut, all.length)));
        assertEquals("None", keys(r2).get("AuthMethod"));
        assertEquals("7", keys(r2).get("TargetPortalGroupTag"));

        LoginStateMachine flood = machine(AuthPolicy.NONE);
        LoginRequest chunk = new LoginRequest(false, true, 0, 0, 0, 0, ISID, 0, 1, 1, 0, 0, new byte[8192]);
        LoginResult last = null;
        for (int i = 0; i < 9 && (last == null || last.outcome() == LoginResult.Outcome.CONTINUE); i++) {
            last = flood.onLoginRequest(chunk);
        }
        assertStatus(LoginStatus.INITIATOR_ERROR, last);
    }

    @Test
    void longResponseTextGoesOutInPieces() throws Exception {
        String[] unknown = new String[120];
        for (int i = 0; i < unknown.length; i++) {
            unknown[i] = String.format("X-%s%03d=1", "k".repeat(58), i); // 63-character keys
        }
        LoginStateMachine m = machine(AuthPolicy.NONE);
        LoginResult r = m.onLoginRequest(request(1, 3, true, concat(identity(), unknown)));
        List<byte[]> pieces = new ArrayList<>();
        int rounds = 0;
        while (r.response().cont()) {
            assertFalse(r.response().transit());
            assertEquals(8192, r.response().data().length);
            pieces.add(r.response().data());
            r = m.onLoginRequest(request(1, 3, false, new byte[0]));
            assertTrue(++rounds < 10);
        }
        pieces.add(r.response().data());
        assertTrue(pieces.size() >= 2);
        assertEquals(LoginResult.Outcome.FULL_FEATURE, r.outcome());
        assertTrue(r.response().transit());
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        for (byte[] p : pieces) {
            all.write(p);
        }
        Map<String, String> k = TextCodec.decode(all.toByteArray());
        for (String u : unknown) {
            assertEquals("NotUnderstood", k.get(u.substring(0, u.indexOf('='))));
        }
    }

    @Test
    void sessionReinstatementClosesTheOldSession() {
        LoginResult first = machine(AuthPolicy.NONE).onLoginRequest(request(1, 3, true, identity()));
        LoginResult second = machine(AuthPolicy.NONE).onLoginRequest(request(1, 3, true, identity()));
        assertTrue(second.session().reinstated());
        assertEquals(List.of("session " + first.session().tsih()), closed);
        assertNotEquals(first.session().tsih(), second.session().tsih());
        assertEquals(1, registry.sessionCount());
    }

    @Test
    void nonZeroTsihMustNameAnExistingSession() {
        LoginRequest unknown = new LoginRequest(true, false, 1, 3, 0, 0, ISID, 77, 1, 1, 0, 0, text(identity()));
        assertStatus(LoginStatus.SESSION_DOES_NOT_EXIST, machine(AuthPolicy.NONE).onLoginRequest(unknown));

        int tsih = machine(AuthPolicy.NONE).onLoginRequest(request(1, 3, true, identity())).session().tsih();
        LoginRequest otherIsid = new LoginRequest(true, false, 1, 3, 0, 0, ISID + 1, tsih, 1, 1, 0, 0, text(identity()));
        assertStatus(LoginStatus.SESSION_DOES_NOT_EXIST, machine(AuthPolicy.NONE).onLoginRequest(otherIsid));

        LoginRequest sameCid = new LoginRequest(true, false, 1, 3, 0, 0, ISID, tsih, 1, 1, 0, 0, text(identity()));
        LoginResult reinstated = machine(AuthPolicy.NONE).onLoginRequest(sameCid);
        assertEquals(LoginResult.Outcome.FULL_FEATURE, reinstated.outcome());
        assertEquals(tsih, reinstated.response().tsih());
        assertEquals(List.of("connection " + tsih + "/1"), closed);

        LoginRequest secondCid = new LoginRequest(true, false, 1, 3, 0, 0, ISID, tsih, 1, 2, 0, 0, text(identity()));
        assertStatus(LoginStatus.TOO_MANY_CONNECTIONS, machine(AuthPolicy.NONE).onLoginRequest(secondCid));
    }

    @Test
    void registryFullIsOutOfResources() {
        InMemorySessionRegistry tiny = new InMemorySessionRegistry(1, new InMemorySessionRegistry.Closer() {
            @Override
            public void closeSession(int tsih) {
            }

            @Override
            public void closeConnection(int tsih, int cid) {
            }
        });
        TargetDirectory d = directory(AuthPolicy.NONE, NegotiationLimits.DEFAULTS);
        LoginFixture.machine(d, tiny).onLoginRequest(request(1, 3, true, identity()));
        LoginRequest otherIsid = new LoginRequest(true, false, 1, 3, 0, 0, ISID + 5, 0, 1, 1, 0, 0, text(identity()));
        assertStatus(LoginStatus.OUT_OF_RESOURCES, LoginFixture.machine(d, tiny).onLoginRequest(otherIsid));
    }

    @Test
    void discoveryLoginNeedsNoTargetName() {
        LoginResult r = machine(AuthPolicy.chapRequired(CHAP, null)).onLoginRequest(request(0, 3, true,
                "InitiatorName=" + INITIATOR, "SessionType=Discovery", "AuthMethod=None"));
        assertEquals(LoginResult.Outcome.FULL_FEATURE, r.outcome(), "discovery auth policy is NONE");
        assertEquals(SessionType.DISCOVERY, r.session().sessionType());
        assertNull(r.session().targetName());
        assertFalse(keys(r).containsKey("TargetPortalGroupTag"));
    }

    @Test
    void discoveryUsesTheDirectorysAuthPolicy() throws Exception {
        TargetPolicy t = LoginFixture.target(TARGET, AuthPolicy.NONE, NegotiationLimits.DEFAULTS);
        StaticTargetDirectory d = new StaticTargetDirectory(List.of(t), AuthPolicy.chapRequired(CHAP, null), true);
        assertStatus(LoginStatus.AUTHENTICATION_FAILURE, LoginFixture.machine(d, registry).onLoginRequest(
                request(0, 1, true, "InitiatorName=" + INITIATOR, "SessionType=Discovery", "AuthMethod=None")));
        // CHAP, then straight from the security stage to full feature phase (NSG=3).
        LoginStateMachine m = LoginFixture.machine(d, registry);
        m.onLoginRequest(request(0, 3, true, "InitiatorName=" + INITIATOR, "SessionType=Discovery",
                "AuthMethod=CHAP"));
        Map<String, String> c = keys(m.onLoginRequest(request(0, 3, false, "CHAP_A=5")));
        LoginResult r = m.onLoginRequest(request(0, 3, true, "CHAP_N=alice",
                "CHAP_R=" + LoginFixture.chapResponse(c.get("CHAP_I"), CHAP.secret(), c.get("CHAP_C"))));
        assertEquals(LoginResult.Outcome.FULL_FEATURE, r.outcome());
        assertEquals(0, r.response().csg());
        assertEquals(3, r.response().nsg());
        assertTrue(r.session().chapAuthenticated());
        assertEquals("262144", keys(r).get("MaxRecvDataSegmentLength"), "declared before full feature");
    }

    @Test
    void registryBugBecomesTargetError() {
        SessionRegistry broken = new SessionRegistry() {
            @Override
            public boolean sessionExists(SessionKey key, int tsih) {
                return false;
            }

            @Override
            public Admission admitLeading(SessionKey key, int cid) {
                throw new IllegalStateException("registry bug");
            }

            @Override
            public Admission admitConnection(SessionKey key, int tsih, int cid, int maxConnections) {
                throw new IllegalStateException("registry bug");
            }
        };
        LoginStateMachine m = LoginFixture.machine(directory(AuthPolicy.NONE, NegotiationLimits.DEFAULTS), broken);
        assertStatus(LoginStatus.TARGET_ERROR, m.onLoginRequest(request(1, 3, true, identity())));
        assertThrows(IllegalStateException.class, () -> m.onLoginRequest(request(1, 3, true, identity())));
    }

    @Test
    void failureResponseEchoesRequestFields() {
        LoginResult r = machine(AuthPolicy.NONE).onLoginRequest(request(0, 1, true, "TargetName=" + TARGET));
        LoginResponse resp = r.response();
        assertEquals(0x02, resp.status().statusClass());
        assertEquals(0x07, resp.status().statusDetail());
        assertEquals(0x0207, resp.status().code());
        assertEquals(ISID, resp.isid());
        assertEquals(0x11, resp.initiatorTaskTag());
        assertFalse(resp.transit());
        assertArrayEquals(new byte[0], resp.data());
    }
}
