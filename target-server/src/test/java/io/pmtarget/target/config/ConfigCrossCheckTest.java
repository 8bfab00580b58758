package io.pmtarget.target.config;

import static io.pmtarget.target.config.ConfigFixture.lineOf;
import static io.pmtarget.target.config.ConfigFixture.minimal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Duplicates, dangling references, access control and CHAP rules. */
class ConfigCrossCheckTest {

    static final String T0 = "targets.\"iqn.2026-11.io.pmtarget:t0\"";
    static final String T1 = "targets.\"iqn.2026-11.io.pmtarget:t1\"";

    @TempDir
    Path dir;
    ConfigFixture fx;

    @BeforeEach
    void setUp() {
        fx = new ConfigFixture(dir);
    }

    /** minimal() plus volume v1 and a second target t1 on {@code portal}, tpgt {@code tpgt}, LUN 0 -> {@code volume}. */
    static String twoTargets(String portal, int tpgt, String volume) {
        return minimal("", "").replace("targets {", String.join("\n",
                "volumes { v1 { cache-file = \"v1.cache\", cache-size = 64MiB, backing-file = \"v1.img\","
                        + " backing-size = 64MiB } }",
                "targets {",
                "  \"iqn.2026-11.io.pmtarget:t1\" {",
                "    portals = [\"" + portal + "\"]",
                "    tpgt = " + tpgt,
                "    allow-any-initiator = true",
                "    luns { 3 { volume = " + volume + " } }",
                "  }"));
    }

    @Test
    void twoTargetsCanShareAPortalInOneGroup() throws Exception {
        ServerConfig config = fx.load(twoTargets("127.0.0.1:3260", 1, "v1"));
        assertEquals(2, config.targets().size());
        assertEquals(List.of(new Portal("127.0.0.1", 3260)), config.portals());
    }

    @Test
    void volumeBehindTwoLunsIsAnError() throws Exception {
        String text = twoTargets("127.0.0.1:3261", 1, "v0");
        List<String> problems = fx.problems(text);
        // t1 comes first in the file, so t0's LUN is the second user of v0.
        fx.assertOnly(problems, lineOf(text, "luns { 0"), T0 + ".luns.0.volume",
                "volume 'v0' is already LUN 3 of iqn.2026-11.io.pmtarget:t1");
    }

    @Test
    void danglingLunReference() throws Exception {
        String text = minimal("", "").replace("volume = v0", "volume = nope");
        List<String> problems = fx.problems(text);
        fx.assertProblem(problems, lineOf(text, "volume = nope"), T0 + ".luns.0.volume",
                "no volume named 'nope' (defined: v0)");
    }

    @Test
    void portalInTwoGroupsIsAnError() throws Exception {
        String text = twoTargets("127.0.0.1:3260", 2, "v1");
        // t0's portals line follows its opening line.
        fx.assertOnly(fx.problems(text), lineOf(text, "iqn.2026-11.io.pmtarget:t0") + 1, T0 + ".portals",
                "127.0.0.1:3260 is in portal group 2 of iqn.2026-11.io.pmtarget:t1 but this target says tpgt 1");
    }

    @Test
    void wildcardOverlapsSpecificAddress() throws Exception {
        String text = twoTargets("0.0.0.0:3260", 1, "v1");
        fx.assertOnly(fx.problems(text), lineOf(text, "iqn.2026-11.io.pmtarget:t0") + 1, T0 + ".portals",
                "127.0.0.1:3260 overlaps 0.0.0.0:3260");
    }

    @Test
    void duplicateVolumeBlockIsAnError() throws Exception {
        String text = minimal("", "") + "volumes {\n  v0 {\n    block-size = 512\n  }\n}\n";
        List<String> problems = fx.problems(text);
        fx.assertOnly(problems, lineOf(text, "v0 {"), "volumes.v0", "defined more than once");
    }

    @Test
    void duplicateTargetBlockIsAnError() throws Exception {
        String text = minimal("", "") + "targets {\n  \"iqn.2026-11.io.pmtarget:t0\" {\n    tpgt = 2\n  }\n}\n";
        fx.assertOnly(fx.problems(text), lineOf(text, "iqn.2026"), T0, "defined more than once");
    }

    @Test
    void twoVolumesOnOneFile() throws Exception {
        String text = minimal("", "").replace("targets {", "volumes { v1 { cache-file = \"v0.img\","
                + " cache-size = 64MiB, backing-file = \"v1.img\", backing-size = 64MiB } }\ntargets {");
        List<String> problems = fx.problems(text);
        fx.assertProblem(problems, lineOf(text, "v1 {"), "volumes.v1.cache-file",
                dir.resolve("data/v0.img") + " is already the backing-file of volume 'v0'");
    }

    @Test
    void accessControlMustBeExplicit() throws Exception {
        String none = minimal("", "").replace("    allow-any-initiator = true\n", "");
        fx.assertOnly(fx.problems(none), lineOf(none, "iqn.2026"), T0 + ".allowed-initiators",
                "no initiator could log in");
        String both = minimal("", "    allowed-initiators = [\"iqn.1993-08.org.debian:01:abc\"]");
        fx.assertOnly(fx.problems(both), lineOf(both, "allowed-initiators"), T0 + ".allowed-initiators",
                "conflicts with allow-any-initiator = true");
        String list = minimal("", "").replace("allow-any-initiator = true",
                "allowed-initiators = [\"iqn.1993-08.org.debian:01:abc\", \"eui.0123456789ABCDEF\"]");
        TargetConfig target = fx.load(list).targets().get(0);
        assertFalse(target.allowAnyInitiator());
        assertTrue(target.allows("IQN.1993-08.org.debian:01:abc"));
        assertFalse(target.allows("iqn.1993-08.org.debian:01:abd"));
        String bad = minimal("", "").replace("allow-any-initiator = true", "allowed-initiators = [\"host-a\"]");
        fx.assertProblem(fx.problems(bad), lineOf(bad, "allowed-initiators"), T0 + ".allowed-initiators",
                "'host-a': an iSCSI name starts with iqn., eui. or naa.");
    }

    @Test
    void chapAndMutualChap() throws Exception {
        String text = minimal("", "    chap { user = \"u\", secret = \"0123456789ab\" }\n"
                + "    mutual-chap { user = \"t\", secret = \"ba9876543210\" }\n    discovery-auth = chap");
        TargetConfig target = fx.load(text).targets().get(0);
        assertEquals(new ChapCredentials("u", "0123456789ab"), target.chap().orElseThrow());
        assertEquals("t", target.mutualChap().orElseThrow().user());
        assertEquals(TargetConfig.DiscoveryAuth.CHAP, target.discoveryAuth());
        assertFalse(target.chap().orElseThrow().toString().contains("0123456789ab"), "toString leaks the secret");
    }

    @Test
    void chapSecretRules() throws Exception {
        String shortSecret = minimal("", "    chap { user = \"u\", secret = \"12345678901\" }");
        fx.assertOnly(fx.problems(shortSecret), lineOf(shortSecret, "chap {"), T0 + ".chap.secret",
                "11 bytes; a CHAP secret must be 12..255 bytes");
        String sameSecret = minimal("", "    chap { user = \"u\", secret = \"0123456789ab\" }\n"
                + "    mutual-chap { user = \"t\", secret = \"0123456789ab\" }");
        fx.assertOnly(fx.problems(sameSecret), lineOf(sameSecret, "mutual-chap"), T0 + ".mutual-chap",
                "forbids one secret in both roles");
        String mutualOnly = minimal("", "    mutual-chap { user = \"t\", secret = \"0123456789ab\" }");
        fx.assertOnly(fx.problems(mutualOnly), lineOf(mutualOnly, "mutual-chap"), T0 + ".mutual-chap",
                "needs a chap block");
        String noUser = minimal("", "    chap { secret = \"0123456789ab\" }");
        fx.assertOnly(fx.problems(noUser), lineOf(noUser, "chap {"), T0 + ".chap.user", "missing (required)");
        String discovery = minimal("", "    discovery-auth = chap");
        fx.assertOnly(fx.problems(discovery), lineOf(discovery, "discovery-auth"), T0 + ".discovery-auth",
                "needs a chap block");
    }

    @Test
    void secretInBothRolesAcrossTargets() throws Exception {
        String text = twoTargets("127.0.0.1:3260", 1, "v1")
                .replace("    tpgt = 1\n", "    tpgt = 1\n    mutual-chap { user = \"t\", secret = \"shared-secret-1\" }\n"
                        + "    chap { user = \"u\", secret = \"other-secret-22\" }\n")
                .replace("    luns { 0", "    chap { user = \"u\", secret = \"shared-secret-1\" }\n    luns { 0");
        fx.assertOnly(fx.problems(text), lineOf(text, "chap { user = \"u\", secret = \"shared"), T0 + ".chap",
                "is also the mutual-chap (target) secret of iqn.2026-11.io.pmtarget:t1");
    }

    @Test
    void worldReadableSecretsWarn() throws Exception {
        String text = minimal("", "    chap { user = \"u\", secret = \"0123456789ab\" }");
        Files.writeString(fx.file, text);
        Files.setPosixFilePermissions(fx.file, PosixFilePermissions.fromString("rw-r--r--"));
        ConfigLoader loader = new ConfigLoader(ConfigFixture.ACCEPT_OPTIONS);
        List<String> warnings = loader.load(fx.file, null, dir).warnings();
        assertEquals(List.of(fx.file + ": holds CHAP secrets but is readable by every user: chmod 600 " + fx.file),
                warnings);
        Files.setPosixFilePermissions(fx.file, PosixFilePermissions.fromString("rw-------"));
        assertEquals(List.of(), loader.load(fx.file, null, dir).warnings());
        // Without secrets a readable file is fine.
        Files.writeString(fx.file, minimal("", ""));
        Files.setPosixFilePermissions(fx.file, PosixFilePermissions.fromString("rw-r--r--"));
        assertEquals(List.of(), loader.load(fx.file, null, dir).warnings());
    }

    @Test
    void lunRules() throws Exception {
        String small = minimal("", "").replace("volume = v0", "volume = v0, block-size = 512");
        fx.assertOnly(fx.problems(small), lineOf(small, "luns"), T0 + ".luns.0.block-size",
                "512 is not a multiple of volume 'v0' block-size 4096");
        String range = minimal("", "").replace("luns { 0 {", "luns { 16384 {");
        fx.assertOnly(fx.problems(range), lineOf(range, "luns"), T0 + ".luns.16384", "out of range 0..16383");
        String none = minimal("", "").replace("luns { 0 { volume = v0 } }", "luns { }");
        List<String> problems = fx.problems(none);
        fx.assertProblem(problems, lineOf(none, "luns"), T0 + ".luns", "at least one LUN");
    }

    @Test
    void unusedVolumeWarns() throws Exception {
        String text = minimal("", "").replace("targets {", "volumes { spare { cache-file = \"s.cache\","
                + " cache-size = 64MiB, backing-file = \"s.img\", backing-size = 64MiB } }\ntargets {");
        List<String> warnings = fx.load(text).warnings();
        assertEquals(1, warnings.size(), warnings::toString);
        assertTrue(warnings.get(0).startsWith(fx.file + ":" + lineOf(text, "spare") + ": volumes.spare: not used"),
                warnings::toString);
    }
}
