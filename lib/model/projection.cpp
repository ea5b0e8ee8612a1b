#include "lsfa/model/projection.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "lsfa/core/error.h"

namespace lsfa {
namespace {

constexpr double kInverseDistanceEps = 1e-8;

std::string shape_of(const at::Tensor &t) {
  std::string s = "[";
  // Appended piece by piece: "," + std::to_string(...) trips a false -Wrestrict in GCC 12 at -O3.
  for (int64_t i = 0; i < t.dim(); ++i) {
    if (i) s += ',';
    s += std::to_string(t.size(i));
  }
  s += ']';
  return s;
}

// The 3 smallest (squared distance, centre index) pairs offered so far, in that order.
struct Nearest3 {
  double d2[3] = {INFINITY, INFINITY, INFINITY};
  int64_t index[3] = {0, 0, 0};
  int found = 0;

  void offer(const double *p, const double *centres, int64_t j) {
    const double *q = centres + 3 * j;
    const double dx = p[0] - q[0], dy = p[1] - q[1], dz = p[2] - q[2];
    const double d = dx * dx + dy * dy + dz * dz;
    if (found == 3 && !before(d, j, 2)) return;
    int t = found < 3 ? found++ : 2;
    while (t > 0 && before(d, j, t - 1)) {
      d2[t] = d2[t - 1];
      index[t] = index[t - 1];
      --t;
    }
    d2[t] = d;
    index[t] = j;
  }
  bool before(double d, int64_t j, int t) const {
    return d < d2[t] || (d == d2[t] && j < index[t]);
  }
};

// A uniform grid of cubic cells over the centres' bounding box (about 2 centres per cell when
// they fill a volume; at most 128 cells per axis), with the centres of each cell in index order.
class CentreGrid {
 public:
  CentreGrid() = default;
  CentreGrid(const double *centres, int64_t g) {
    if (g < 32) return;  // brute force is as fast
    double hi[3];
    for (int a = 0; a < 3; ++a) lo_[a] = hi[a] = centres[a];
    for (int64_t j = 1; j < g; ++j)
      for (int a = 0; a < 3; ++a) {
        lo_[a] = std::min(lo_[a], centres[3 * j + a]);
        hi[a] = std::max(hi[a], centres[3 * j + a]);
      }
    double extent[3], largest = 0.0;
    for (int a = 0; a < 3; ++a) largest = std::max(largest, extent[a] = hi[a] - lo_[a]);
    if (!(largest > 0.0)) return;                              // all centres in one place
    for (double &e : extent) e = std::max(e, largest / 64.0);  // flat clouds: thin, not empty
    h_ = std::cbrt(extent[0] * extent[1] * extent[2] * 2.0 / static_cast<double>(g));
    for (int a = 0; a < 3; ++a)
      dim_[a] = std::clamp<int64_t>(static_cast<int64_t>(std::ceil(extent[a] / h_)), 1, 128);
    // After clamping, widen the cells so that the grid still covers every centre.
    for (int a = 0; a < 3; ++a) h_ = std::max(h_, extent[a] / static_cast<double>(dim_[a]));
    h_ *= 1.0 + 1e-9;
    // Rounding in cell assignment is far below this; it keeps the stopping rule safe.
    slack_ = 1e-9 * (h_ + std::max({std::abs(lo_[0]), std::abs(lo_[1]), std::abs(lo_[2]),
                                    std::abs(hi[0]), std::abs(hi[1]), std::abs(hi[2])}));
    start_.assign(dim_[0] * dim_[1] * dim_[2] + 1, 0);
    std::vector<int64_t> cell_of(g);
    for (int64_t j = 0; j < g; ++j) {
      int64_t cell[3];
      locate(centres + 3 * j, cell);
      cell_of[j] = flat(cell);
      ++start_[cell_of[j] + 1];
    }
    for (size_t i = 1; i < start_.size(); ++i) start_[i] += start_[i - 1];
    ids_.resize(g);
    std::vector<int64_t> fill(start_.begin(), start_.end() - 1);
    for (int64_t j = 0; j < g; ++j) ids_[fill[cell_of[j]]++] = j;
  }

  bool usable() const { return !ids_.empty(); }

  // Visits rings of cells at Chebyshev distance r = 0, 1, ... from p's cell until 3 centres are
  // known and every cell outside the visited box lies farther than the third. A pixel far from
  // every centre (more cells to visit than there are centres) takes the brute force instead.
  void search(const double *p, const double *centres, Nearest3 *best) const {
    int64_t c[3];
    locate(p, c);
    const int64_t g = static_cast<int64_t>(ids_.size());
    int64_t visited = 0;
    auto visit = [&](int64_t x, int64_t y, int64_t z) {
      const int64_t f = (x * dim_[1] + y) * dim_[2] + z;
      for (int64_t e = start_[f]; e < start_[f + 1]; ++e) best->offer(p, centres, ids_[e]);
      ++visited;
    };
    for (int64_t r = 0;; ++r) {
      int64_t from[3], to[3];
      for (int a = 0; a < 3; ++a) {
        from[a] = std::max<int64_t>(0, c[a] - r);
        to[a] = std::min<int64_t>(dim_[a] - 1, c[a] + r);
      }
      for (int64_t x = from[0]; x <= to[0]; ++x)
        for (int64_t y = from[1]; y <= to[1]; ++y) {
          if (std::abs(x - c[0]) == r || std::abs(y - c[1]) == r) {
            for (int64_t z = from[2]; z <= to[2]; ++z) visit(x, y, z);
          } else {  // inside the ring in x and y: only its two z faces
            if (c[2] - r >= 0) visit(x, y, c[2] - r);
            if (c[2] + r < dim_[2]) visit(x, y, c[2] + r);
          }
        }
      // Lower bound on the distance to any cell outside the box: the nearest face of the box
      // that is not on the grid's border.
      double bound = INFINITY;
      for (int a = 0; a < 3; ++a) {
        if (from[a] > 0) bound = std::min(bound, p[a] - (lo_[a] + from[a] * h_));
        if (to[a] < dim_[a] - 1) bound = std::min(bound, lo_[a] + (to[a] + 1) * h_ - p[a]);
      }
      if (bound == INFINITY) return;  // the whole grid has been visited
      bound -= slack_;
      if (best->found == 3 && bound > 0.0 && best->d2[2] < bound * bound) return;
      if (visited > g) {
        *best = Nearest3();
        for (int64_t j = 0; j < g; ++j) best->offer(p, centres, j);
        return;
      }
    }
  }

 private:
  void locate(const double *p, int64_t cell[3]) const {
    for (int a = 0; a < 3; ++a) {
      const double u = std::floor((p[a] - lo_[a]) / h_);
      cell[a] =
          u < 0.0 ? 0 : std::min<int64_t>(dim_[a] - 1, static_cast<int64_t>(std::min(u, 1e9)));
    }
  }
  int64_t flat(const int64_t cell[3]) const {
    return (cell[0] * dim_[1] + cell[1]) * dim_[2] + cell[2];
  }

  double lo_[3] = {0, 0, 0}, h_ = 0.0, slack_ = 0.0;
  int64_t dim_[3] = {0, 0, 0};
  std::vector<int64_t> start_, ids_;
};

}  // namespace

// nearest_centres on a non-CPU device: the same exact squared distances (one rounded operation
// at a time, x, y, z order), the 3 smallest by repeated first-index minima (lower centre index
// first on ties, like the insertion on the CPU), the same weights.
ProjectionNeighbours nearest_centres_aten(const at::Tensor &xyz, const at::Tensor &centers) {
  const int64_t side = xyz.size(0);
  at::Tensor flat = xyz.detach().to(at::kDouble).reshape({side * side, 3}).contiguous();
  at::Tensor c = centers.detach().to(flat.device(), at::kDouble).contiguous();
  ProjectionNeighbours out;
  out.side = side;
  out.pixels = flat.ne(0).any(1).nonzero().reshape({-1}).contiguous();
  at::Tensor pts = flat.index_select(0, out.pixels);
  const int64_t n = pts.size(0), g = c.size(0);
  out.centres = at::empty({n, 3}, out.pixels.options());
  out.weights = at::empty({n, 3}, flat.options());
  const int64_t rows = std::max<int64_t>(1, (int64_t{256} << 20) / (8 * 4 * g));
  for (int64_t b = 0; b < n; b += rows) {
    const int64_t r = std::min(rows, n - b);
    at::Tensor diff = pts.narrow(0, b, r).unsqueeze(1) - c.unsqueeze(0);  // [r, g, 3]
    at::Tensor sq = diff * diff;
    at::Tensor d2 = (sq.select(2, 0) + sq.select(2, 1)) + sq.select(2, 2);
    std::vector<at::Tensor> w(3);
    for (int t = 0; t < 3; ++t) {
      auto [v, i] = d2.min(1, /*keepdim=*/true);  // first index of the minimum
      out.centres.narrow(0, b, r).narrow(1, t, 1).copy_(i);
      w[t] = (v + kInverseDistanceEps).reciprocal_();
      d2.scatter_(1, i, INFINITY);
    }
    at::Tensor total = (w[0] + w[1]) + w[2];
    for (int t = 0; t < 3; ++t) out.weights.narrow(0, b, r).narrow(1, t, 1).copy_(w[t] / total);
  }
  return out;
}

// projection_matrix on a non-CPU device: the per-pixel interpolation weights as a dense
// [S, S, G] map, pooled along rows and columns by two matrix products.
at::Tensor projection_matrix_aten(const ProjectionNeighbours &nb, int64_t num_groups,
                                  int64_t grid) {
  const int64_t side = nb.side;
  require(nb.centres.numel() == 0 || (nb.centres.min().item<int64_t>() >= 0 &&
                                      nb.centres.max().item<int64_t>() < num_groups),
          "projection: centre index out of range");
  auto opts = nb.weights.options().dtype(at::kDouble);
  at::Tensor r = pooling_weights_1d(side, grid).to(opts.device());  // [grid, S]
  at::Tensor w = at::zeros({side * side, num_groups}, opts);
  at::Tensor flat_index = (nb.pixels.unsqueeze(1) * num_groups + nb.centres).reshape({-1});
  w.view({-1}).index_add_(0, flat_index, nb.weights.to(at::kDouble).reshape({-1}));
  at::Tensor rows = at::mm(r, w.view({side, side * num_groups})).view({grid, side, num_groups});
  at::Tensor both = at::matmul(rows.transpose(1, 2), r.t());  // [grid, G, grid]
  return both.permute({0, 2, 1}).reshape({grid * grid, num_groups}).contiguous();
}

at::Tensor pooling_weights_1d(int64_t size, int64_t grid) {
  require(size >= 3, "projection: map side " + std::to_string(size) + " is smaller than 3");
  const int64_t pooled = size - 2;  // 3x3 average pool, stride 1, no padding
  require(grid >= 1 && grid <= pooled, "projection: grid " + std::to_string(grid) +
                                           " must lie in [1," + std::to_string(pooled) + "]");
  at::Tensor r = at::zeros({grid, size}, at::kDouble);
  auto acc = r.accessor<double, 2>();
  for (int64_t i = 0; i < grid; ++i) {
    // PyTorch's adaptive pooling window [floor(i*in/out), ceil((i+1)*in/out)).
    const int64_t start = (i * pooled) / grid;
    const int64_t end = ((i + 1) * pooled + grid - 1) / grid;
    const double window = static_cast<double>(end - start);
    for (int64_t p = start; p < end; ++p)
      for (int64_t t = 0; t < 3; ++t) acc[i][p + t] += 1.0 / (3.0 * window);
  }
  return r;
}

ProjectionNeighbours nearest_centres(const at::Tensor &xyz, const at::Tensor &centers) {
  require(xyz.dim() == 3 && xyz.size(2) == 3 && xyz.size(0) == xyz.size(1),
          "projection: xyz must be [S,S,3], got " + shape_of(xyz));
  require(centers.dim() == 2 && centers.size(1) == 3,
          "projection: centers must be [G,3], got " + shape_of(centers));
  require(centers.size(0) >= 3,
          "projection: needs at least 3 group centres, got " + std::to_string(centers.size(0)));
  if (!xyz.device().is_cpu()) return nearest_centres_aten(xyz, centers);
  const int64_t side = xyz.size(0);
  at::Tensor flat = xyz.detach().to(at::kCPU, at::kDouble).reshape({side * side, 3}).contiguous();
  at::Tensor c = centers.detach().to(at::kCPU, at::kDouble).contiguous();
  ProjectionNeighbours out;
  out.side = side;
  out.pixels = flat.ne(0).any(1).nonzero().reshape({-1}).contiguous();
  const int64_t n = out.pixels.size(0), g = c.size(0);
  out.centres = at::empty({n, 3}, at::kLong);
  out.weights = at::empty({n, 3}, at::kDouble);
  const double *pts = flat.data_ptr<double>();
  const double *cp = c.data_ptr<double>();
  const int64_t *pix = out.pixels.data_ptr<int64_t>();
  int64_t *idx = out.centres.data_ptr<int64_t>();
  double *wts = out.weights.data_ptr<double>();
  // Exact squared distances from coordinate differences (no |p|^2 - 2pc + |c|^2 cancellation at
  // millimetre scales); the 3 smallest (distance, centre index) pairs, so the lower index wins
  // ties. A grid over the centres visits rings of cells around each pixel and stops once no
  // unvisited cell can hold a nearer centre; clouds with non-finite values take the brute force.
  // No temporaries per pixel, so memory stays O(N + G).
  // Every non-finite pixel is a valid one (it is not all zeros), so the whole cloud is checked.
  const bool finite = at::isfinite(c).all().item<bool>() && at::isfinite(flat).all().item<bool>();
  const CentreGrid grid = finite ? CentreGrid(cp, g) : CentreGrid();
  at::parallel_for(0, n, 256, [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) {
      Nearest3 best;
      if (grid.usable())
        grid.search(pts + 3 * pix[k], cp, &best);
      else
        for (int64_t j = 0; j < g; ++j) best.offer(pts + 3 * pix[k], cp, j);
      double w[3], total = 0.0;
      for (int t = 0; t < 3; ++t) total += (w[t] = 1.0 / (best.d2[t] + kInverseDistanceEps));
      for (int t = 0; t < 3; ++t) {
        idx[3 * k + t] = best.index[t];
        wts[3 * k + t] = w[t] / total;
      }
    }
  });
  return out;
}

namespace {

// P's non-zero entries by grid cell (compressed sparse rows). A frame's P is mostly zeros (each
// cell sees the few groups near its pixels: about 1 % of the entries for a smooth surface, 12 %
// for random points), so the dense product costs 2 x 3136 x G x C flops where the sparse one
// costs 2 x nnz x C.
struct SparseRows {
  std::vector<int64_t> start;  // [cells + 1]
  std::vector<int64_t> column;
  std::vector<double> value;
};

// P's entries: every valid pixel's 3 weights spread over the pooled cells that see it, summed per
// (cell, group) in pixel then neighbour order. projection_matrix writes them into a dense array.
SparseRows sparse_projection_rows(const ProjectionNeighbours &nb, int64_t num_groups,
                                  int64_t grid) {
  const int64_t side = nb.side, cells_n = grid * grid, n = nb.pixels.size(0);
  at::Tensor r = pooling_weights_1d(side, grid);
  auto racc = r.accessor<double, 2>();
  // The pooled cells (and weights) of each pixel row or column: a few per axis.
  std::vector<std::vector<std::pair<int64_t, double>>> cells(side);
  for (int64_t i = 0; i < grid; ++i)
    for (int64_t y = 0; y < side; ++y)
      if (racc[i][y] != 0.0) cells[y].emplace_back(i, racc[i][y]);
  auto pix = nb.pixels.accessor<int64_t, 1>();
  auto cen = nb.centres.accessor<int64_t, 2>();
  auto wts = nb.weights.accessor<double, 2>();

  // Bucket every (cell, group, weight) contribution by cell, keeping the pixel order.
  std::vector<int64_t> count(cells_n + 1, 0);
  for (int64_t k = 0; k < n; ++k) {
    const int64_t y = pix[k] / side, x = pix[k] % side;
    for (const auto &ci : cells[y])
      for (const auto &cj : cells[x]) count[ci.first * grid + cj.first + 1] += 3;
  }
  for (int64_t c = 0; c < cells_n; ++c) count[c + 1] += count[c];
  std::vector<int64_t> fill(count.begin(), count.end() - 1);
  std::vector<int64_t> group(count[cells_n]);
  std::vector<double> weight(count[cells_n]);
  for (int64_t k = 0; k < n; ++k) {
    const int64_t y = pix[k] / side, x = pix[k] % side;
    for (int64_t t = 0; t < 3; ++t) {
      const int64_t g = cen[k][t];
      require(g >= 0 && g < num_groups, "projection: centre index out of range");
      for (const auto &[i, ri] : cells[y])
        for (const auto &[j, rj] : cells[x]) {
          const int64_t at = fill[i * grid + j]++;
          group[at] = g;
          weight[at] = ri * rj * wts[k][t];
        }
    }
  }
  // Sum each cell's contributions per group, in bucket (pixel, then neighbour) order.
  SparseRows rows;
  rows.start.assign(cells_n + 1, 0);
  std::vector<double> acc(num_groups, 0.0);
  std::vector<char> seen(num_groups, 0);
  std::vector<int64_t> touched;
  for (int64_t c = 0; c < cells_n; ++c) {
    touched.clear();
    for (int64_t e = count[c]; e < count[c + 1]; ++e) {
      if (!seen[group[e]]) {
        seen[group[e]] = 1;
        touched.push_back(group[e]);
      }
      acc[group[e]] += weight[e];
    }
    std::sort(touched.begin(), touched.end());
    for (int64_t g : touched) {
      rows.column.push_back(g);
      rows.value.push_back(acc[g]);
      acc[g] = 0.0;
      seen[g] = 0;
    }
    rows.start[c + 1] = static_cast<int64_t>(rows.column.size());
  }
  return rows;
}

// [cells, C] = P @ features, one output row per cell from its few weighted feature rows.
template <class T>
at::Tensor apply_sparse_rows(const SparseRows &rows, const at::Tensor &features) {
  const int64_t cells_n = static_cast<int64_t>(rows.start.size()) - 1, c = features.size(1);
  at::Tensor f = features.contiguous();
  at::Tensor out = at::empty({cells_n, c}, f.options());
  const T *fp = f.data_ptr<T>();
  T *op = out.data_ptr<T>();
  at::parallel_for(0, cells_n, 64, [&](int64_t begin, int64_t end) {
    for (int64_t cell = begin; cell < end; ++cell) {
      T *o = op + cell * c;
      std::fill(o, o + c, T(0));
      for (int64_t e = rows.start[cell]; e < rows.start[cell + 1]; ++e) {
        const T v = static_cast<T>(rows.value[e]);
        const T *src = fp + rows.column[e] * c;
        for (int64_t j = 0; j < c; ++j) o[j] += v * src[j];
      }
    }
  });
  return out;
}

}  // namespace

at::Tensor projection_matrix(const ProjectionNeighbours &nb, int64_t num_groups, int64_t grid) {
  if (!nb.pixels.device().is_cpu()) return projection_matrix_aten(nb, num_groups, grid);
  const SparseRows rows = sparse_projection_rows(nb, num_groups, grid);
  at::Tensor m = at::zeros({grid * grid, num_groups}, at::kDouble);
  auto macc = m.accessor<double, 2>();
  for (int64_t cell = 0; cell + 1 < static_cast<int64_t>(rows.start.size()); ++cell)
    for (int64_t e = rows.start[cell]; e < rows.start[cell + 1]; ++e)
      macc[cell][rows.column[e]] = rows.value[e];
  return m;
}

namespace {

// [grid*grid, G] x [G, C] -> [grid*grid, C]; a plain matmul, so autograd handles it.
at::Tensor apply_projection_rows(const at::Tensor &matrix, const at::Tensor &group_features,
                                 int64_t grid) {
  require(group_features.dim() == 2 && group_features.size(0) == matrix.size(1),
          "projection: group_features must be [" + std::to_string(matrix.size(1)) + ",C], got " +
              shape_of(group_features));
  require(matrix.size(0) == grid * grid, "projection: matrix rows do not match the grid");
  return at::mm(matrix.to(group_features.device(), group_features.scalar_type()), group_features);
}

}  // namespace

at::Tensor apply_projection(const at::Tensor &matrix, const at::Tensor &group_features,
                            int64_t grid) {
  return apply_projection_rows(matrix, group_features, grid)
      .t()
      .reshape({group_features.size(1), grid, grid});
}

at::Tensor project_groups_to_patches(const at::Tensor &xyz, const at::Tensor &centers,
                                     const at::Tensor &group_features, int64_t grid) {
  require(group_features.dim() == 2 && group_features.size(0) == centers.size(0),
          "projection: group_features must be [G,C] with G = " + std::to_string(centers.size(0)) +
              ", got " + shape_of(group_features));
  ProjectionNeighbours nb = nearest_centres(xyz, centers);
  const auto type = group_features.scalar_type();
  const bool sparse = nb.pixels.device().is_cpu() && group_features.device().is_cpu() &&
                      (type == at::kFloat || type == at::kDouble) &&
                      !(at::GradMode::is_enabled() && group_features.requires_grad());
  if (!sparse)  // the dense product: other devices and dtypes, and autograd
    return apply_projection_rows(projection_matrix(nb, centers.size(0), grid), group_features,
                                 grid);
  const SparseRows rows = sparse_projection_rows(nb, centers.size(0), grid);
  return type == at::kFloat ? apply_sparse_rows<float>(rows, group_features)
                            : apply_sparse_rows<double>(rows, group_features);
}

at::Tensor project_groups_to_grid(const at::Tensor &xyz, const at::Tensor &centers,
                                  const at::Tensor &group_features, int64_t grid) {
  return project_groups_to_patches(xyz, centers, group_features, grid)
      .t()
      .reshape({group_features.size(1), grid, grid});
}

at::Tensor rgb_tokens_to_patches(const at::Tensor &token_rows, int64_t h, int64_t w, int64_t grid) {
  require(token_rows.dim() == 2 && token_rows.size(0) == h * w,
          "rgb_tokens_to_patches: token rows must be [" + std::to_string(h * w) + ",C], got " +
              shape_of(token_rows));
  require(grid >= h && grid >= w,
          "rgb_tokens_to_patches: grid " + std::to_string(grid) + " is smaller than the token map");
  // Cell (i,j) takes token (floor(i*h/grid), floor(j*w/grid)): rgb_tokens_to_grid's nearest rule.
  at::Tensor rows = at::empty({grid * grid}, at::kLong);
  int64_t *r = rows.data_ptr<int64_t>();
  for (int64_t i = 0; i < grid; ++i)
    for (int64_t j = 0; j < grid; ++j) r[i * grid + j] = (i * h / grid) * w + j * w / grid;
  return token_rows.index_select(0, rows.to(token_rows.device()));
}

at::Tensor rgb_tokens_to_grid(const at::Tensor &tokens, int64_t grid) {
  require(tokens.dim() == 3, "rgb_tokens_to_grid: tokens must be [C,h,w], got " + shape_of(tokens));
  require(grid >= tokens.size(1) && grid >= tokens.size(2),
          "rgb_tokens_to_grid: grid " + std::to_string(grid) + " is smaller than the token map");
  // PyTorch nearest: source index floor(dst * in / out), i.e. exact 2x repetition for 28 -> 56.
  return at::upsample_nearest2d(tokens.unsqueeze(0), {grid, grid}).squeeze(0);
}

}  // namespace lsfa
