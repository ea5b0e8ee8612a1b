// Checking output paths before long work: a fit that runs for minutes and then cannot write its
// bundle wastes the run, so the commands probe where they will write first.
#pragma once

#include <string>

namespace lsfa {

// Throws lsfa::Error naming the path when a file cannot be created at `path`: its folder is
// missing, not a folder, or not writable (probed by creating and removing a temporary file, which
// also catches read-only file systems). Nothing is left behind.
void check_file_writable(const std::string &path);

// Creates the folder `dir` (and its parents) when missing and checks that files can be written in
// it, as above.
void prepare_output_dir(const std::string &dir);

}  // namespace lsfa
