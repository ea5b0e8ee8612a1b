#!/usr/bin/env python3
"""Counts test cases over GoogleTest XML reports plus meson tests that are not GoogleTest, and
prints the one summary line "N passed, N failed". Exits 1 when anything failed.

Usage: count_tests.py [XML_DIR MESON_TESTLOG ...] [--extra-failures N] (one pair per build that ran
tests; N stages that could not be built count as one failure each). Skipped tests (GTEST_SKIP, meson exit code 77: e.g. GPU tests on a machine without a GPU)
count neither as passed nor as failed; their number is printed on the line before the summary."""
import glob
import json
import os
import sys
import xml.etree.ElementTree as ET


def count(xml_dir, meson_log):
    passed = failed = skipped = 0
    gtest_exes = set()
    for path in sorted(glob.glob(os.path.join(xml_dir, "*.xml"))):
        gtest_exes.add(os.path.splitext(os.path.basename(path))[0])
        root = ET.parse(path).getroot()
        for case in root.iter("testcase"):
            if case.get("status") == "notrun" or case.get("result") == "skipped":
                skipped += 1
                continue
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
            else:
                passed += 1
    # Meson tests: a GoogleTest executable that crashed before writing its XML counts as one
    # failure; non-GoogleTest tests count one each.
    if os.path.exists(meson_log):
        with open(meson_log) as f:
            for line in f:
                if not line.strip():
                    continue
                t = json.loads(line)
                exe = os.path.basename(t.get("cmd", [""])[0])
                if t.get("result") == "SKIP" and exe not in gtest_exes:
                    skipped += 1
                    continue
                ok = t.get("result") in ("OK", "EXPECTEDFAIL", "SKIP")
                if exe in gtest_exes:
                    if not ok and t.get("result") in ("TIMEOUT", "ERROR"):
                        failed += 1
                    continue
                if ok:
                    passed += 1
                else:
                    failed += 1
    return passed, failed, skipped


def main():
    args = sys.argv[1:]
    passed = failed = skipped = 0
    if "--extra-failures" in args:
        # Stages of tools/test.sh that could not be built: one failure each.
        i = args.index("--extra-failures")
        failed += int(args[i + 1])
        del args[i:i + 2]
    if len(args) % 2:
        print("usage: count_tests.py [XML_DIR MESON_TESTLOG ...] [--extra-failures N]",
              file=sys.stderr)
        return 2
    for i in range(0, len(args), 2):
        p, f, s = count(args[i], args[i + 1])
        passed, failed, skipped = passed + p, failed + f, skipped + s
    print(f"{skipped} skipped")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
