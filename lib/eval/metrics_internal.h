// Helpers shared by the metric sources (not installed).
#pragma once

#include <cstdint>
#include <opencv2/core.hpp>
#include <vector>

namespace lsfa {

// Throws lsfa::Error unless maps and masks pair up: same count (> 0), CV_32FC1 maps, CV_8UC1 masks,
// equal sizes.
void check_maps(const std::vector<cv::Mat> &maps, const std::vector<cv::Mat> &gts);

// Maps a float to an unsigned integer with the same order (-0.0 and +0.0 map to the same key, as
// they compare equal), and back.
uint32_t ordered_bits(float v);
float from_ordered_bits(uint32_t u);

// Sorts keys whose values fit in the low `key_bits` bits ascending: LSD radix sort (11 bits a pass)
// for large inputs, std::sort for small ones.
void sort_keys(std::vector<uint64_t> &keys, int key_bits);

}  // namespace lsfa
