#!/usr/bin/env python3
"""Counts test cases over GoogleTest XML reports plus meson tests that are not GoogleTest, and
prints the one summary line "N passed, N failed". Exits 1 when anything failed.

  count_tests.py XML_DIR MESON_LOG                      one build (the plain suite)
  count_tests.py [--stage PREFIX XML_DIR MESON_LOG]... [--results PREFIX FILE]...

Each --stage is a build of the suite (e.g. "asan" for the sanitizer build); --results is a file of
lines "NAME ok" or "NAME failed" from a stage that is not a meson run (short fuzzing, soak). Every
stage prints "PREFIX: N passed, N failed" and its failed tests as "FAILED PREFIX/NAME"; the last
line is the total over all stages. Skipped tests (GTEST_SKIP, meson exit code 77: e.g. GPU tests on
a machine without a GPU) count neither as passed nor as failed; their number is printed on its own
line before the total."""
import argparse
import glob
import json
import os
import sys
import xml.etree.ElementTree as ET


def count_meson(xml_dir, meson_log):
    """Returns (passed, failed, failed names, skipped) of one meson build's test run."""
    passed = failed = skipped = 0
    names = []
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
                names.append(f"{case.get('classname')}.{case.get('name')}")
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
                        names.append(f"{t.get('name')} ({t.get('result')})")
                    continue
                if ok:
                    passed += 1
                else:
                    failed += 1
                    names.append(f"{t.get('name')} ({t.get('result')})")
    elif not glob.glob(os.path.join(xml_dir, "*.xml")):
        failed += 1  # the stage ran nothing at all (build or setup failure)
        names.append("(no test results)")
    return passed, failed, names, skipped


def count_results(path):
    passed = failed = skipped = 0
    names = []
    if not os.path.exists(path):
        return 0, 1, ["(no results file)"], 0
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 2:
                continue
            if parts[1] == "ok":
                passed += 1
            elif parts[1] == "skipped":
                skipped += 1
            else:
                failed += 1
                names.append(parts[0])
    return passed, failed, names, skipped


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("legacy", nargs="*", help="XML_DIR MESON_LOG of a single build")
    ap.add_argument("--stage", nargs=3, action="append", default=[],
                    metavar=("PREFIX", "XML_DIR", "MESON_LOG"))
    ap.add_argument("--results", nargs=2, action="append", default=[], metavar=("PREFIX", "FILE"))
    args = ap.parse_args()
    stages = []
    if args.legacy:
        if len(args.legacy) != 2:
            ap.error("give XML_DIR MESON_LOG, or --stage")
        stages.append(("", count_meson(*args.legacy)))
    stages += [(p, count_meson(x, m)) for p, x, m in args.stage]
    stages += [(p, count_results(f)) for p, f in args.results]
    total_passed = total_failed = total_skipped = 0
    for prefix, (passed, failed, names, skipped) in stages:
        total_passed += passed
        total_failed += failed
        total_skipped += skipped
        label = prefix or "main"
        if len(stages) > 1:
            print(f"{label}: {passed} passed, {failed} failed")
        for n in names:
            print(f"FAILED {prefix + '/' if prefix else ''}{n}")
    print(f"{total_skipped} skipped")
    print(f"{total_passed} passed, {total_failed} failed")
    return 1 if total_failed else 0


if __name__ == "__main__":
    sys.exit(main())
