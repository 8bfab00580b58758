package io.pmtarget.target.config;

import io.pmtarget.target.config.TargetConfig.DiscoveryAuth;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/** Reads {@code targets { "iqn..." { } }}. Cross-target rules live in {@link CrossChecks}. */
final class TargetReader {

    static final String ALIAS = "alias";
    static final String PORTALS = "portals";
    static final String TPGT = "tpgt";
    static final String ALLOWED_INITIATORS = "allowed-initiators";
    static final String ALLOW_ANY_INITIATOR = "allow-any-initiator";
    static final String CHAP = "chap";
    static final String MUTUAL_CHAP = "mutual-chap";
    static final String DISCOVERY_AUTH = "discovery-auth";
    static final String NEGOTIATION = "negotiation";
    static final String LUNS = "luns";
    static final Set<String> KEYS = Set.of(ALIAS, PORTALS, TPGT, ALLOWED_INITIATORS, ALLOW_ANY_INITIATOR,
            CHAP, MUTUAL_CHAP, DISCOVERY_AUTH, NEGOTIATION, LUNS);
    static final String VOLUME = "volume";
    static final String BLOCK_SIZE = "block-size";
    static final String USER = "user";
    static final String SECRET = "secret";

    /** RFC 7143 section 13.6 (TargetAlias): a human-readable text value; 255 bytes keeps it on one line. */
    static final int ALIAS_MAX_BYTES = 255;
    /** RFC 7143 section 12.1.3: without IPsec a CHAP secret needs at least 96 bits (12 bytes). */
    static final int CHAP_SECRET_MIN_BYTES = 12;
    /** Our bound: CHAP_R is an MD5 of the secret, nothing gains from more; keeps text PDUs small. */
    static final int CHAP_SECRET_MAX_BYTES = 255;
    static final int CHAP_USER_MAX_BYTES = 255;
    /** The portals one target may list: each is a listening socket, keep the count sane. */
    static final int PORTALS_MAX = 64;

    private final Map<String, VolumeConfig> volumes;
    private final Set<String> definedVolumeNames;
    /** volume name -> "LUN n of iqn": one volume behind two LUNs would be written by two owners. */
    private final Map<String, String> volumeUsers = new HashMap<>();
    /** portal -> first target listing it, for the portal-group checks. */
    private final Map<Portal, TargetPortal> portalOwners = new HashMap<>();

    /** CHAP secrets by role, to enforce RFC 7143 section 12.1.3 (never one secret for both roles). */
    private final Map<String, String> initiatorSecretOwners = new HashMap<>();
    private final Map<String, String> targetSecretOwners = new HashMap<>();

    private record TargetPortal(String iqn, int tpgt) {
    }

    private TargetReader(Map<String, VolumeConfig> volumes, Set<String> definedVolumeNames) {
        this.volumes = volumes;
        this.definedVolumeNames = definedVolumeNames;
    }

    /**
     * @param volumes            the valid volumes
     * @param definedVolumeNames every name under volumes { }, valid or not (no second error for a broken one)
     */
    static List<TargetConfig> read(Node targets, Map<String, VolumeConfig> volumes, Set<String> definedVolumeNames) {
        List<TargetConfig> out = new ArrayList<>();
        if (targets == null) {
            return out;
        }
        TargetReader reader = new TargetReader(volumes, definedVolumeNames);
        for (String iqn : targets.keys()) {
            String problem = IscsiNames.problem(iqn);
            if (problem != null) {
                targets.error(iqn, problem);
                continue;
            }
            Node node = targets.child(iqn);
            if (node != null) {
                TargetConfig target = reader.readOne(iqn, node);
                if (target != null) {
                    out.add(target);
                }
            }
        }
        return out;
    }

    private TargetConfig readOne(String iqn, Node node) {
        node.rejectMergedDuplicate("target '" + iqn + "'");
        node.allowOnly(KEYS);
        String alias = node.string(ALIAS, "");
        if (alias.getBytes(StandardCharsets.UTF_8).length > ALIAS_MAX_BYTES) {
            node.error(ALIAS, "longer than " + ALIAS_MAX_BYTES + " bytes");
        }
        int tpgt = (int) node.integer(TPGT, 1, 1, 65535);
        List<Portal> portals = portals(node);
        checkPortalGroups(node, iqn, tpgt, portals);
        List<String> initiators = initiators(node);
        boolean allowAny = node.bool(ALLOW_ANY_INITIATOR, false);
        if (allowAny && !initiators.isEmpty()) {
            node.error(ALLOWED_INITIATORS, "conflicts with allow-any-initiator = true: use one or the other");
        } else if (!allowAny && initiators.isEmpty()) {
            node.error(ALLOWED_INITIATORS, "no initiator could log in: list allowed-initiators"
                    + " or set allow-any-initiator = true explicitly");
        }
        Optional<ChapCredentials> chap = chap(node.child(CHAP));
        Optional<ChapCredentials> mutual = chap(node.child(MUTUAL_CHAP));
        if (mutual.isPresent() && chap.isEmpty()) {
            node.error(MUTUAL_CHAP, "needs a chap block: the initiator authenticates first (RFC 7143 section 12.1.3)");
        }
        checkSecretRoles(node, iqn, chap, mutual);
        DiscoveryAuth discovery = discoveryAuth(node);
        if (discovery == DiscoveryAuth.CHAP && chap.isEmpty()) {
            node.error(DISCOVERY_AUTH, "'chap' needs a chap block with the credentials");
        }
        Negotiation negotiation = NegotiationReader.read(node.child(NEGOTIATION));
        SortedMap<Integer, LunConfig> luns = luns(node, iqn);
        boolean valid = !portals.isEmpty() && !luns.isEmpty() && (allowAny ^ !initiators.isEmpty())
                && (mutual.isEmpty() || chap.isPresent());
        if (!valid) {
            return null;
        }
        return new TargetConfig(iqn, alias, portals, tpgt, initiators, allowAny, chap, mutual, discovery,
                negotiation, luns);
    }

    private static List<Portal> portals(Node node) {
        if (!node.has(PORTALS)) {
            node.error(PORTALS, "missing (required): e.g. portals = [\"127.0.0.1:3260\"]");
            return List.of();
        }
        List<Portal> portals = new ArrayList<>();
        List<String> texts = node.strings(PORTALS, List.of(), false);
        for (String text : texts) {
            try {
                Portal portal = Portal.parse(text.trim());
                if (portals.contains(portal)) {
                    node.error(PORTALS, portal + " listed twice");
                } else {
                    portals.add(portal);
                }
            } catch (IllegalArgumentException e) {
                node.error(PORTALS, "'" + text + "': " + e.getMessage());
            }
        }
        if (portals.size() > PORTALS_MAX) {
            node.error(PORTALS, portals.size() + " portals; at most " + PORTALS_MAX);
            return List.of();
        }
        if (texts.isEmpty()) {
            node.error(PORTALS, "needs at least one portal");
        }
        return portals;
    }

    private static List<String> initiators(Node node) {
        List<String> names = new ArrayList<>();
        for (String name : node.strings(ALLOWED_INITIATORS, List.of(), false)) {
            String problem = IscsiNames.problem(name);
            if (problem != null) {
                node.error(ALLOWED_INITIATORS, "'" + name + "': " + problem);
            } else if (names.stream().anyMatch(name::equalsIgnoreCase)) {
                node.error(ALLOWED_INITIATORS, "'" + name + "' listed twice");
            } else {
                names.add(name);
            }
        }
        return names;
    }

    private static Optional<ChapCredentials> chap(Node node) {
        if (node == null) {
            return Optional.empty();
        }
        node.allowOnly(Set.of(USER, SECRET));
        String user = node.requiredString(USER);
        String secret = node.requiredString(SECRET);
        if (user != null && user.getBytes(StandardCharsets.UTF_8).length > CHAP_USER_MAX_BYTES) {
            node.error(USER, "longer than " + CHAP_USER_MAX_BYTES + " bytes");
            return Optional.empty();
        }
        if (secret != null) {
            int secretBytes = secret.getBytes(StandardCharsets.UTF_8).length;
            if (secretBytes < CHAP_SECRET_MIN_BYTES || secretBytes > CHAP_SECRET_MAX_BYTES) {
                node.error(SECRET, secretBytes + " bytes; a CHAP secret must be " + CHAP_SECRET_MIN_BYTES + ".."
                        + CHAP_SECRET_MAX_BYTES + " bytes (RFC 7143 section 12.1.3: at least 96 bits)");
                return Optional.empty();
            }
        }
        return user == null || secret == null ? Optional.empty() : Optional.of(new ChapCredentials(user, secret));
    }

    /**
     * A listening address belongs to one portal group (RFC 7143 section 4.4.1: a portal group is
     * a set of portals; a portal is in one group per target). Targets sharing an address must
     * agree on its tag; a wildcard address on a port cannot be bound beside a specific address.
     */
    private void checkPortalGroups(Node node, String iqn, int tpgt, List<Portal> portals) {
        for (Portal portal : portals) {
            TargetPortal owner = portalOwners.putIfAbsent(portal, new TargetPortal(iqn, tpgt));
            if (owner != null && owner.tpgt() != tpgt) {
                node.error(PORTALS, portal + " is in portal group " + owner.tpgt() + " of " + owner.iqn()
                        + " but this target says tpgt " + tpgt + "; one portal, one group tag");
            }
            for (Portal other : portalOwners.keySet()) {
                boolean overlap = other.port() == portal.port() && !other.host().equals(portal.host())
                        && (other.wildcard() || portal.wildcard()) && portal.port() != 0;
                if (overlap) {
                    node.error(PORTALS, portal + " overlaps " + other + " (a wildcard address takes the whole port)");
                }
            }
        }
    }

    /**
     * RFC 7143 section 12.1.3: a secret used to authenticate initiators MUST NOT be configured to
     * authenticate any target; otherwise a rogue target can reflect the challenge back.
     */
    private void checkSecretRoles(Node node, String iqn, Optional<ChapCredentials> chap,
                                  Optional<ChapCredentials> mutual) {
        if (chap.isPresent()) {
            String owner = targetSecretOwners.get(chap.get().secret());
            if (owner != null) {
                node.error(CHAP, "secret is also the mutual-chap (target) secret of " + owner
                        + "; RFC 7143 section 12.1.3 forbids one secret in both roles");
            }
            initiatorSecretOwners.putIfAbsent(chap.get().secret(), iqn);
        }
        if (mutual.isPresent()) {
            String owner = initiatorSecretOwners.get(mutual.get().secret());
            if (owner != null) {
                node.error(MUTUAL_CHAP, "secret is also the chap (initiator) secret of " + owner
                        + "; RFC 7143 section 12.1.3 forbids one secret in both roles");
            }
            targetSecretOwners.putIfAbsent(mutual.get().secret(), iqn);
        }
    }

    private static DiscoveryAuth discoveryAuth(Node node) {
        String text = node.string(DISCOVERY_AUTH, "none").toUpperCase(Locale.ROOT);
        for (DiscoveryAuth auth : DiscoveryAuth.values()) {
            if (auth.name().equals(text)) {
                return auth;
            }
        }
        node.error(DISCOVERY_AUTH, "'" + text.toLowerCase(Locale.ROOT) + "' is not one of none, chap");
        return DiscoveryAuth.NONE;
    }

    private SortedMap<Integer, LunConfig> luns(Node target, String iqn) {
        SortedMap<Integer, LunConfig> luns = new TreeMap<>();
        Node node = target.requiredChild(LUNS);
        if (node == null) {
            return luns;
        }
        for (String key : node.keys()) {
            int lun;
            try {
                lun = Integer.parseInt(key);
            } catch (NumberFormatException e) {
                node.error(key, "a LUN is a number 0.." + LunConfig.LUN_MAX);
                continue;
            }
            if (lun < 0 || lun > LunConfig.LUN_MAX || !key.equals(Integer.toString(lun))) {
                node.error(key, "LUN out of range 0.." + LunConfig.LUN_MAX + " (SAM-5 flat addressing)");
                continue;
            }
            Node lunNode = node.child(key);
            if (lunNode != null) {
                LunConfig config = lun(lun, lunNode, iqn);
                if (config != null) {
                    luns.put(lun, config);
                }
            }
        }
        if (node.keys().isEmpty()) {
            node.errorHere("a target needs at least one LUN");
        }
        return luns;
    }

    private LunConfig lun(int lun, Node node, String iqn) {
        node.rejectMergedDuplicate("LUN " + lun);
        node.allowOnly(Set.of(VOLUME, BLOCK_SIZE));
        String volumeName = node.requiredString(VOLUME);
        if (volumeName == null) {
            return null;
        }
        VolumeConfig volume = volumes.get(volumeName);
        if (volume == null) {
            if (!definedVolumeNames.contains(volumeName)) {
                node.error(VOLUME, "no volume named '" + volumeName + "' (defined: "
                        + String.join(", ", definedVolumeNames) + ")");
            }
            return null;
        }
        String user = "LUN " + lun + " of " + iqn;
        String previous = volumeUsers.putIfAbsent(volumeName, user);
        if (previous != null) {
            node.error(VOLUME, "volume '" + volumeName + "' is already " + previous
                    + "; a volume backs exactly one LUN");
            return null;
        }
        long blockSize = node.integer(BLOCK_SIZE, volume.blockSizeBytes(), 512, 4096);
        if (blockSize != 512 && blockSize != 4096) {
            node.error(BLOCK_SIZE, blockSize + " is not 512 or 4096");
            return null;
        }
        // The volume only takes whole volume blocks: a smaller logical block would need read-modify-write.
        if (blockSize % volume.blockSizeBytes() != 0) {
            node.error(BLOCK_SIZE, blockSize + " is not a multiple of volume '" + volumeName
                    + "' block-size " + volume.blockSizeBytes());
            return null;
        }
        return new LunConfig(lun, volumeName, (int) blockSize);
    }
}
