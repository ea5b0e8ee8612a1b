// Keeping the largest connected cluster of valid points (docs/preprocessing.md, step 3). The
// reference runs DBSCAN (eps 0.006, min 30 points) on the unorganized points; here the organized
// grid gives the neighbourhood: two valid points are connected when they lie within `eps` in 3D and
// within `radius` pixels of each other (a (2r+1)^2 window), or within `bridge` pixels when both are
// edge pixels (next to a hole or a depth step), which lets clusters span holes and gaps up to
// bridge - 1 pixels wide as DBSCAN's 3D neighbourhood does. See docs/preprocessing.md for the
// deviation.
#pragma once

#include <opencv2/core.hpp>

namespace lsfa {

struct ClusterResult {
  int clusters = 0;        // connected clusters found
  int largest = 0;         // points in the largest one
  int points_removed = 0;  // points set to (0,0,0)
};

// Keeps the largest cluster of the CV_32FC3 cloud and zeroes every other valid point; blacks out
// the same rgb pixels when rgb is given. When the largest cluster has fewer than `min_points`
// points nothing is removed (no cluster is trustworthy; the reference's DBSCAN then also keeps
// the points). Ties go to the cluster whose first point comes first in row-major order. Throws
// lsfa::Error for a cloud that is not continuous CV_32FC3 or an rgb of another size or type.
ClusterResult keep_largest_cluster(cv::Mat &xyz, cv::Mat *rgb, double eps, int min_points,
                                   int radius, int bridge);

}  // namespace lsfa
