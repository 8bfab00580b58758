package io.pmtarget.target.login;

import java.io.ByteArrayOutputStream;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The login phase of one connection (RFC 7143 6.3, 11.12, 11.13), as pure protocol logic: one
 * {@link LoginRequest} in, one {@link LoginResult} out. It reads in protocol order: header checks,
 * text continuation, the first request's identity (InitiatorName, SessionType, TargetName,
 * authorization, TSIH), then SecurityNegotiation, LoginOperationalNegotiation, and the transit to
 * full feature phase. Every failure is one {@link LoginStatus}, logged once with the offending
 * value. Not thread-safe: one instance per connection, driven by its event loop.
 */
public final class LoginStateMachine {
    private static final Logger LOG = LoggerFactory.getLogger(LoginStateMachine.class);

    public static final int STAGE_SECURITY = 0;
    public static final int STAGE_OPERATIONAL = 1;
    public static final int STAGE_FULL_FEATURE = 3;
    /** The only protocol version (RFC 7143 11.12.4). */
    public static final int VERSION = 0x00;
    /**
     * RFC 7143 13.12: during login both sides use the default MaxRecvDataSegmentLength of 8192,
     * so no login data segment we send exceeds it.
     */
    public static final int LOGIN_SEGMENT_LENGTH_BYTES_MAX = 8192;

    /** Keys that identify the connection, declared in the first request only. */
    private static final Set<String> IDENTITY_KEYS =
            Set.of("InitiatorName", "InitiatorAlias", "TargetName", "SessionType");

    private enum Phase { LOGIN, FULL_FEATURE, FAILED }

    private final TargetDirectory directory;
    private final SessionRegistry registry;
    private final SecureRandom random;

    private Phase phase = Phase.LOGIN;
    private int stage = -1;
    private LoginRequest first;
    private final ByteArrayOutputStream partialText = new ByteArrayOutputStream();
    private byte[] pendingOutput;
    private LoginResult pendingFinal;

    private Map<String, String> identity;
    private String initiatorName = "?";
    private SessionType sessionType;
    private TargetPolicy target;
    private SecurityNegotiation security;
    private OperationalNegotiator negotiator;

    public LoginStateMachine(TargetDirectory directory, SessionRegistry registry, SecureRandom random) {
        this.directory = Objects.requireNonNull(directory, "directory");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.random = Objects.requireNonNull(random, "random");
    }

    /**
     * Handles one Login Request. After a result with outcome FULL_FEATURE or CLOSE, this machine
     * accepts no more requests.
     *
     * @throws IllegalStateException if called after the login ended (an adapter bug)
     */
    public LoginResult onLoginRequest(LoginRequest request) {
        if (phase != Phase.LOGIN) {
            throw new IllegalStateException("login already ended (" + phase + ")");
        }
        try {
            checkHeader(request);
            if (pendingOutput != null) {
                return continueOutput(request);
            }
            if (request.cont()) {
                return accumulate(request);
            }
            Map<String, String> keys = decodeText(request);
            Map<String, String> response = new LinkedHashMap<>();
            if (identity == null) {
                identify(request, keys, response);
            } else {
                checkIdentityUnchanged(keys);
            }
            return stage == STAGE_SECURITY
                    ? securityStage(request, keys, response)
                    : operationalStage(request, keys, response);
        } catch (LoginException e) {
            return fail(request, e);
        } catch (RuntimeException e) {
            // A bug here or in a directory/registry implementation: answer "target error" so the
            // initiator is not left waiting, log the stack loudly, and end this login.
            LOG.error("login of {}: internal error", initiatorName, e);
            return fail(request, new LoginException(LoginStatus.TARGET_ERROR, e.toString()));
        }
    }

    /** Invariants of every Login Request header (RFC 7143 11.12.1-11.12.4). */
    private void checkHeader(LoginRequest r) throws LoginException {
        if (r.versionMin() > VERSION || r.versionMax() < VERSION) {
            throw new LoginException(LoginStatus.UNSUPPORTED_VERSION, "Version-min " + r.versionMin()
                    + " / Version-max " + r.versionMax() + " exclude version " + VERSION);
        }
        if (r.transit() && r.cont()) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, "T and C bits both set");
        }
        if (r.csg() != STAGE_SECURITY && r.csg() != STAGE_OPERATIONAL) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, "CSG " + r.csg()
                    + " is not a login stage");
        }
        if (r.transit() && (r.nsg() <= r.csg() || r.nsg() == 2)) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, "transit from CSG " + r.csg()
                    + " to invalid NSG " + r.nsg());
        }
        if (first == null) {
            first = r;
            stage = r.csg();
            return;
        }
        if (r.isid() != first.isid() || r.tsih() != first.tsih() || r.cid() != first.cid()) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, String.format(
                    "ISID/TSIH/CID changed during login: %012x/%d/%d, first %012x/%d/%d",
                    r.isid(), r.tsih(), r.cid(), first.isid(), first.tsih(), first.cid()));
        }
        // While our text is still going out in pieces, the stage change waits for the last one.
        int expectedCsg = pendingFinal != null ? pendingFinal.response().csg() : stage;
        if (r.csg() != expectedCsg) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, "CSG " + r.csg()
                    + " but the login is in stage " + expectedCsg);
        }
    }

    /** RFC 7143 11.12.2: C=1 means more text follows; answer with an empty response. */
    private LoginResult accumulate(LoginRequest r) throws LoginException {
        if (partialText.size() + r.data().length > TextCodec.TEXT_LENGTH_BYTES_MAX) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, "continued login text exceeds "
                    + TextCodec.TEXT_LENGTH_BYTES_MAX + " bytes");
        }
        partialText.write(r.data(), 0, r.data().length);
        return new LoginResult(response(r, false, 0, r.tsih(), new byte[0]),
                LoginResult.Outcome.CONTINUE, null);
    }

    private Map<String, String> decodeText(LoginRequest r) throws LoginException {
        byte[] text = r.data();
        if (partialText.size() > 0) {
            if (partialText.size() + text.length > TextCodec.TEXT_LENGTH_BYTES_MAX) {
                throw new LoginException(LoginStatus.INITIATOR_ERROR, "continued login text exceeds "
                        + TextCodec.TEXT_LENGTH_BYTES_MAX + " bytes");
            }
            partialText.write(text, 0, text.length);
            text = partialText.toByteArray();
            partialText.reset();
        }
        try {
            return TextCodec.decode(text);
        } catch (TextFormatException e) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, "malformed login text: "
                    + e.getMessage());
        }
    }

    /**
     * The first complete request names the initiator, the session type and the target
     * (RFC 7143 13.4, 13.5, 13.21), in the order ctld checks them.
     */
    private void identify(LoginRequest r, Map<String, String> keys, Map<String, String> response)
            throws LoginException {
        identity = new LinkedHashMap<>();
        for (String key : IDENTITY_KEYS) {
            if (keys.containsKey(key)) {
                identity.put(key, keys.get(key));
            }
        }
        initiatorName = keys.get("InitiatorName");
        if (initiatorName == null) {
            initiatorName = "?";
            throw new LoginException(LoginStatus.MISSING_PARAMETER, "first login request without "
                    + "InitiatorName");
        }
        checkName("InitiatorName", initiatorName);
        sessionType = sessionType(keys.get("SessionType"));
        AuthPolicy auth;
        NegotiationLimits limits;
        if (sessionType == SessionType.NORMAL) {
            target = findTarget(keys.get("TargetName"));
            if (!target.allows(initiatorName)) {
                throw new LoginException(LoginStatus.AUTHORIZATION_FAILURE, "initiator "
                        + initiatorName + " is not allowed to access " + target.targetName());
            }
            auth = target.auth();
            limits = target.limits();
            // RFC 7143 13.9: TPGT in the response to the first request (C=0) naming a target.
            response.put("TargetPortalGroupTag", Integer.toString(target.tpgt()));
            if (target.alias() != null) {
                response.put("TargetAlias", target.alias());
            }
        } else {
            auth = directory.discoveryAuth();
            limits = directory.discoveryLimits();
        }
        if (r.tsih() != 0 && !registry.sessionExists(sessionKey(), r.tsih())) {
            throw new LoginException(LoginStatus.SESSION_DOES_NOT_EXIST, "TSIH " + r.tsih()
                    + " names no session of " + initiatorName + String.format(" ISID %012x", r.isid()));
        }
        security = new SecurityNegotiation(auth, random);
        negotiator = new OperationalNegotiator(limits, sessionType == SessionType.DISCOVERY,
                initiatorName);
        if (stage == STAGE_OPERATIONAL) {
            security.skip("skipped the security stage (first CSG is 1)");
        }
    }

    private SessionType sessionType(String value) throws LoginException {
        if (value == null || value.equals(SessionType.NORMAL.rfcName())) {
            return SessionType.NORMAL;
        }
        if (!value.equals(SessionType.DISCOVERY.rfcName())) {
            throw new LoginException(LoginStatus.SESSION_TYPE_NOT_SUPPORTED, "SessionType=" + value);
        }
        if (!directory.discoveryEnabled()) {
            throw new LoginException(LoginStatus.SESSION_TYPE_NOT_SUPPORTED,
                    "SessionType=Discovery, but discovery is disabled");
        }
        return SessionType.DISCOVERY;
    }

    private TargetPolicy findTarget(String targetName) throws LoginException {
        if (targetName == null) {
            throw new LoginException(LoginStatus.MISSING_PARAMETER, "normal session without TargetName");
        }
        checkName("TargetName", targetName);
        TargetDirectory.Lookup lookup = directory.lookup(targetName);
        return switch (lookup.state()) {
            case AVAILABLE -> lookup.policy();
            case NOT_FOUND -> throw new LoginException(LoginStatus.TARGET_NOT_FOUND,
                    "no target named " + targetName);
            case REMOVED -> throw new LoginException(LoginStatus.TARGET_REMOVED,
                    "target " + targetName + " is being removed");
            case UNAVAILABLE -> throw new LoginException(LoginStatus.SERVICE_UNAVAILABLE,
                    "target " + targetName + " is temporarily unavailable");
        };
    }

    private static void checkName(String key, String name) throws LoginException {
        try {
            TargetPolicy.checkIscsiName(key, name);
        } catch (IllegalArgumentException e) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, e.getMessage());
        }
    }

    /**
     * RFC 7143 6.2 forbids redeclaring keys in one login. We tolerate an identical repeat of an
     * identity key (harmless, and some initiators resend them) but refuse a changed value.
     */
    private void checkIdentityUnchanged(Map<String, String> keys) throws LoginException {
        for (String key : IDENTITY_KEYS) {
            String value = keys.get(key);
            if (value != null && !value.equals(identity.get(key))) {
                throw new LoginException(LoginStatus.INITIATOR_ERROR, key + " redeclared as "
                        + TextValues.abbreviate(value) + " (was " + identity.get(key) + ")");
            }
        }
    }

    /** RFC 7143 6.3.2 SecurityNegotiation; other keys in this stage are negotiated as usual. */
    private LoginResult securityStage(LoginRequest r, Map<String, String> keys,
            Map<String, String> response) throws LoginException {
        security.onKeys(keys, response);
        negotiateOperational(keys, response);
        if (!r.transit()) {
            return respond(r, false, 0, r.tsih(), response);
        }
        if (!security.done()) {
            if (security.inProgress()) {
                return respond(r, false, 0, r.tsih(), response); // CHAP continues; we refuse T
            }
            security.skip("asked to leave the security stage without AuthMethod");
        }
        if (r.nsg() == STAGE_OPERATIONAL) {
            stage = STAGE_OPERATIONAL;
            return respond(r, true, STAGE_OPERATIONAL, r.tsih(), response);
        }
        return transitToFullFeature(r, response);
    }

    /** RFC 7143 6.3.3 LoginOperationalNegotiation. */
    private LoginResult operationalStage(LoginRequest r, Map<String, String> keys,
            Map<String, String> response) throws LoginException {
        for (String key : keys.keySet()) {
            if (SecurityNegotiation.isSecurityKey(key)) {
                throw new LoginException(LoginStatus.INITIATOR_ERROR, key
                        + " outside the security stage");
            }
        }
        negotiateOperational(keys, response);
        if (!r.transit()) {
            return respond(r, false, 0, r.tsih(), response);
        }
        return transitToFullFeature(r, response);
    }

    private void negotiateOperational(Map<String, String> keys, Map<String, String> response)
            throws LoginException {
        for (Map.Entry<String, String> e : keys.entrySet()) {
            String key = e.getKey();
            if (!IDENTITY_KEYS.contains(key) && !SecurityNegotiation.isSecurityKey(key)) {
                negotiator.negotiate(key, e.getValue(), response);
            }
        }
        negotiator.checkCrossKeyRules(response);
    }

    /**
     * The initiator asks for full feature phase. We first declare/offer what its defaults would
     * get wrong; offers need answers, so then we answer T=0 and wait (RFC 7143 6.2).
     */
    private LoginResult transitToFullFeature(LoginRequest r, Map<String, String> response)
            throws LoginException {
        negotiator.prepareTransit(response);
        if (negotiator.hasPendingOffers()) {
            return respond(r, false, 0, r.tsih(), response);
        }
        OperationalParameters parameters = negotiator.result();
        SessionRegistry.Admission admission = r.tsih() == 0
                ? registry.admitLeading(sessionKey(), r.cid())
                : registry.admitConnection(sessionKey(), r.tsih(), r.cid(), parameters.maxConnections());
        switch (admission.result()) {
            case ADMITTED -> { }
            case SESSION_DOES_NOT_EXIST -> throw new LoginException(LoginStatus.SESSION_DOES_NOT_EXIST,
                    "TSIH " + r.tsih() + " vanished during login");
            case TOO_MANY_CONNECTIONS -> throw new LoginException(LoginStatus.TOO_MANY_CONNECTIONS,
                    "session TSIH " + r.tsih() + " has no room for CID " + r.cid());
            case OUT_OF_RESOURCES -> throw new LoginException(LoginStatus.OUT_OF_RESOURCES,
                    "no session slot left for " + initiatorName);
        }
        NegotiatedSession session = new NegotiatedSession(sessionType, initiatorName,
                identity.get("InitiatorAlias"), target, r.isid(), admission.tsih(), r.cid(),
                admission.reinstated(), security.chapAuthenticated(), parameters);
        LOG.info("login of {} ISID {} to {} complete: TSIH {}{}, {}", initiatorName,
                String.format("%012x", r.isid()),
                target == null ? "discovery" : target.targetName(), admission.tsih(),
                admission.reinstated() ? " (reinstated)" : "", parameters);
        // RFC 7143 11.13.3: the new TSIH appears only in this final response.
        LoginResult done = respond(r, true, STAGE_FULL_FEATURE, admission.tsih(), response);
        if (pendingOutput != null) {
            pendingFinal = new LoginResult(pendingFinal.response(), LoginResult.Outcome.FULL_FEATURE,
                    session);
            return done;
        }
        phase = Phase.FULL_FEATURE;
        return new LoginResult(done.response(), LoginResult.Outcome.FULL_FEATURE, session);
    }

    private SessionRegistry.SessionKey sessionKey() {
        return new SessionRegistry.SessionKey(initiatorName, first.isid(),
                target == null ? "" : target.targetName(), target == null ? 0 : target.tpgt());
    }

    /**
     * Builds the response; text longer than one login segment goes out in pieces with C=1 and
     * T=0 (RFC 7143 11.13.2), the transit and final outcome travelling with the last piece.
     */
    private LoginResult respond(LoginRequest r, boolean transit, int nsg, int tsih,
            Map<String, String> pairs) {
        byte[] text = TextCodec.encode(pairs);
        if (text.length <= LOGIN_SEGMENT_LENGTH_BYTES_MAX) {
            return new LoginResult(response(r, transit, nsg, tsih, text), LoginResult.Outcome.CONTINUE,
                    null);
        }
        byte[] head = Arrays.copyOf(text, LOGIN_SEGMENT_LENGTH_BYTES_MAX);
        pendingOutput = Arrays.copyOfRange(text, LOGIN_SEGMENT_LENGTH_BYTES_MAX, text.length);
        pendingFinal = new LoginResult(response(r, transit, nsg, tsih, new byte[0]),
                LoginResult.Outcome.CONTINUE, null);
        LoginResponse partial = new LoginResponse(false, true, r.csg(), 0, VERSION, VERSION,
                r.isid(), r.tsih(), r.initiatorTaskTag(), LoginStatus.SUCCESS, head);
        return new LoginResult(partial, LoginResult.Outcome.CONTINUE, null);
    }

    /** The initiator collects our continued text with empty requests. */
    private LoginResult continueOutput(LoginRequest r) throws LoginException {
        if (r.data().length != 0 || r.cont()) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, "sent " + r.data().length
                    + " bytes of text while our response text was incomplete");
        }
        int n = Math.min(pendingOutput.length, LOGIN_SEGMENT_LENGTH_BYTES_MAX);
        byte[] piece = Arrays.copyOf(pendingOutput, n);
        if (n < pendingOutput.length) {
            pendingOutput = Arrays.copyOfRange(pendingOutput, n, pendingOutput.length);
            return new LoginResult(new LoginResponse(false, true, r.csg(), 0, VERSION, VERSION,
                    r.isid(), r.tsih(), r.initiatorTaskTag(), LoginStatus.SUCCESS, piece),
                    LoginResult.Outcome.CONTINUE, null);
        }
        pendingOutput = null;
        LoginResult f = pendingFinal;
        pendingFinal = null;
        LoginResponse fr = f.response();
        LoginResponse last = new LoginResponse(fr.transit(), false, fr.csg(), fr.nsg(), VERSION,
                VERSION, fr.isid(), fr.tsih(), r.initiatorTaskTag(), LoginStatus.SUCCESS, piece);
        if (f.outcome() == LoginResult.Outcome.FULL_FEATURE) {
            phase = Phase.FULL_FEATURE;
        }
        return new LoginResult(last, f.outcome(), f.session());
    }

    private LoginResponse response(LoginRequest r, boolean transit, int nsg, int tsih, byte[] data) {
        return new LoginResponse(transit, false, r.csg(), transit ? nsg : 0, VERSION, VERSION,
                r.isid(), tsih, r.initiatorTaskTag(), LoginStatus.SUCCESS, data);
    }

    /** RFC 7143 6.3 / 11.13.5: a failing status, no text, then the connection closes. */
    private LoginResult fail(LoginRequest r, LoginException e) {
        phase = Phase.FAILED;
        LOG.warn("login of {} ISID {} rejected with {}: {}", initiatorName,
                String.format("%012x", r.isid()), e.status(), e.getMessage());
        LoginResponse response = new LoginResponse(false, false, r.csg(), 0, VERSION, VERSION,
                r.isid(), r.tsih(), r.initiatorTaskTag(), e.status(), new byte[0]);
        return new LoginResult(response, LoginResult.Outcome.CLOSE, null);
    }
}
