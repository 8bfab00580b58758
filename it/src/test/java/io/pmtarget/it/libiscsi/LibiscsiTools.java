package io.pmtarget.it.libiscsi;

import io.pmtarget.it.support.Exec;
import io.pmtarget.it.support.Tools;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Command lines for libiscsi-bin's tools, each with a fixed initiator name and timeout. */
final class LibiscsiTools {

    static final String INITIATOR = "iqn.2026-11.io.pmtarget.it:tools";
    static final Duration TOOL_TIMEOUT = Duration.ofSeconds(30);

    private LibiscsiTools() {
    }

    static Exec.Result inq(String url, String... extra) {
        List<String> cmd = new ArrayList<>(List.of(Tools.require("iscsi-inq").toString(), "-i", INITIATOR));
        cmd.addAll(List.of(extra));
        cmd.add(url);
        return Exec.run(cmd, TOOL_TIMEOUT);
    }

    /** VPD page {@code pageCode} (iscsi-inq parses -c as decimal, not hex). */
    static Exec.Result vpd(String url, int pageCode) {
        return inq(url, "-e", "1", "-c", Integer.toString(pageCode));
    }

    static Exec.Result ls(String portalUrl) {
        return Exec.run(List.of(Tools.require("iscsi-ls").toString(), "-i", INITIATOR, "-s", portalUrl),
                TOOL_TIMEOUT);
    }

    static Exec.Result readCapacity16(String url) {
        return Exec.run(List.of(Tools.require("iscsi-readcapacity16").toString(), "-i", INITIATOR, url),
                TOOL_TIMEOUT);
    }

    /** "Key:value" line of a tool's output, or null. */
    static String field(String output, String key) {
        for (String line : output.split("\n")) {
            if (line.startsWith(key + ":")) {
                return line.substring(key.length() + 1).trim();
            }
        }
        return null;
    }

    static Path require(String tool) {
        return Tools.require(tool);
    }
}
