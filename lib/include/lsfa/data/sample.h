// One RGB-D sample as read from disk or a camera, before preprocessing.
#pragma once

#include <opencv2/core.hpp>
#include <string>

namespace lsfa {

struct Sample {
  cv::Mat rgb;  // CV_8UC3, channels in R,G,B order (not OpenCV's BGR)
  cv::Mat xyz;  // CV_32FC3, organized cloud in metres, channels x,y,z; (0,0,0) = no measurement
  cv::Mat gt;   // CV_8UC1 ground truth, 255 = defect, 0 = good; empty when unknown
  std::string category;  // e.g. "bagel"
  std::string split;     // "train", "validation" or "test"
  std::string defect;    // "good" or the defect type
  std::string id;        // sample name, e.g. "000"
};

}  // namespace lsfa
