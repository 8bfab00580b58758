package io.pmtarget.it.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A missing tool is a failure that names the tool and its package, never a skip. */
class ToolsTest {

    @Test
    void missingToolFailsNamingToolAndPackage() {
        AssertionError e = assertThrows(AssertionError.class, () -> Tools.require("tgtd-not-installed-here"));
        assertTrue(e.getMessage().contains("'tgtd-not-installed-here'"), e.getMessage());
        assertTrue(e.getMessage().contains(".ci/install-deps.sh"), e.getMessage());
    }

    @Test
    void urlCarriesChapAndMutualChapInLibiscsiSyntax() {
        IscsiUrl url = IscsiUrl.of(3260, "iqn.2026-11.x:y", 1).withChap("u", "p").withMutualChap("tu", "tp");
        assertEquals("iscsi://u%p@127.0.0.1:3260/iqn.2026-11.x:y/1?target_user=tu&target_password=tp", url.toString());
        assertEquals("iscsi://127.0.0.1:3260", url.withoutChap().portalUrl());
    }

    @Test
    void procStatReadsThisJvmsCpuTime() {
        assertTrue(ProcStat.cpuTime(ProcessHandle.current().pid()).toMillis() > 0, "a running JVM has used CPU");
    }
}
