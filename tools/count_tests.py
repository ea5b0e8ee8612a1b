#!/usr/bin/env python3
"""Counts test cases over GoogleTest XML reports plus meson tests that are not GoogleTest, and
prints the one summary line "N passed, N failed". Exits 1 when anything failed."""
import glob
import json
import os
import sys
import xml.etree.ElementTree as ET


def main():
    xml_dir, meson_log = sys.argv[1], sys.argv[2]
    passed = failed = 0
    gtest_exes = set()
    for path in sorted(glob.glob(os.path.join(xml_dir, "*.xml"))):
        gtest_exes.add(os.path.splitext(os.path.basename(path))[0])
        root = ET.parse(path).getroot()
        for case in root.iter("testcase"):
            if case.get("status") == "notrun" or case.get("result") == "skipped":
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
                ok = t.get("result") in ("OK", "EXPECTEDFAIL", "SKIP")
                if exe in gtest_exes:
                    if not ok and t.get("result") in ("TIMEOUT", "ERROR"):
                        failed += 1
                    continue
                if ok:
                    passed += 1
                else:
                    failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
