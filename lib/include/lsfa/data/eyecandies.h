// Eyecandies data set (docs/data-formats.md). A category directory holds
// <cat>/{train,val,test_public}/data/ with, per sample NNN: NNN_image_{0..5}.png, NNN_depth.png
// (16-bit), NNN_info_depth.yaml, NNN_pose.txt and NNN_mask.png. Splits map to ours as train ->
// "train", val -> "validation", test_public -> "test".
#pragma once

#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "lsfa/data/depth_camera.h"
#include "lsfa/data/sample.h"

namespace lsfa {

// The camera of every Eyecandies image: focal 711.11 px, principal point at the image centre.
constexpr double kEyecandiesFocal = 711.11;
Intrinsics eyecandies_intrinsics(int width, int height);  // {f, f, width/2, height/2}

struct EyecandiesEntry {
  std::string category;
  std::string split;                                  // "train", "validation" or "test"
  std::string id;                                     // "000"
  std::string dir;                                    // the data/ directory that holds the files
  std::string file(const std::string &suffix) const;  // dir + "/" + id + "_" + suffix
};

struct EyecandiesOptions {
  int rgb_image = 4;        // which NNN_image_<k>.png is the RGB (the reference uses 4)
  bool world_frame = true;  // apply the pose as the reference loader does: p_world = pose^-1 p_cam
};

struct EyecandiesSample {
  Sample sample;     // rgb, xyz (metres), gt from NNN_mask.png; defect "good" or "bad"
  cv::Mat depth;     // CV_32FC1 depth in metres, as decoded from NNN_depth.png
  cv::Matx44d pose;  // NNN_pose.txt (maps world to camera coordinates)
};

// Samples of `split` ("train", "validation", "test") in <category_dir>, sorted by id. The category
// name is the directory's name. Throws lsfa::Error naming the directory when it does not exist, or
// naming the file when a sample lacks its depth, depth info, pose or RGB file.
std::vector<EyecandiesEntry> index_eyecandies(const std::string &category_dir,
                                              const std::string &split,
                                              const EyecandiesOptions &options = {});

EyecandiesSample load_eyecandies(const EyecandiesEntry &entry,
                                 const EyecandiesOptions &options = {});

// Depth in metres (CV_32FC1): png / 65535 * (max - min) + min, with min and max from
// normalization.min / normalization.max of the info yaml.
cv::Mat read_eyecandies_depth(const std::string &depth_png, const std::string &info_yaml);

// A 4x4 matrix written as 4 lines of 4 numbers. Throws lsfa::Error naming the file otherwise.
cv::Matx44d read_pose_txt(const std::string &path);

// Applies a rigid 4x4 transform to every point of an organized cloud; (0,0,0) points stay (0,0,0).
cv::Mat transform_cloud(const cv::Mat &xyz, const cv::Matx44d &transform);

}  // namespace lsfa
