// Atomic file writes: data goes to a temporary file beside the target, is fsync'ed, then renamed
// over the target, so readers never see a half-written file and an interrupted run loses nothing.
#pragma once

#include <functional>
#include <string>

namespace lsfa {

// Writes `bytes` to `path` atomically. Throws lsfa::Error naming the path on failure.
void write_file_atomic(const std::string &path, const std::string &bytes);

// Calls `writer(tmp_path)` to produce the file, then fsyncs and renames tmp_path to `path`.
// The temporary file is removed if the writer throws. Temporaries of the same target left by
// processes that no longer exist (`<path>.tmp.<pid>`, e.g. after kill -9) are removed first.
void write_file_atomic_with(const std::string &path,
                            const std::function<void(const std::string &tmp_path)> &writer);

// Reads a whole file. Throws lsfa::Error naming the path when it cannot be read.
std::string read_file(const std::string &path);

}  // namespace lsfa
