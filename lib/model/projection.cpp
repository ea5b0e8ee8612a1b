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
  // Brute force with exact squared distances from coordinate differences (no |p|^2 - 2pc + |c|^2
  // cancellation at millimetre scales); the 3 best kept by insertion, lower centre index first on
  // ties. No temporaries, so memory stays O(N).
  at::parallel_for(0, n, 256, [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) {
      const double *p = pts + 3 * pix[k];
      double best_d[3] = {INFINITY, INFINITY, INFINITY};
      int64_t best_i[3] = {0, 0, 0};
      for (int64_t j = 0; j < g; ++j) {
        const double dx = p[0] - cp[3 * j], dy = p[1] - cp[3 * j + 1], dz = p[2] - cp[3 * j + 2];
        const double d2 = dx * dx + dy * dy + dz * dz;
        if (d2 >= best_d[2]) continue;
        int t = 2;
        while (t > 0 && d2 < best_d[t - 1]) {
          best_d[t] = best_d[t - 1];
          best_i[t] = best_i[t - 1];
          --t;
        }
        best_d[t] = d2;
        best_i[t] = j;
      }
      double w[3], total = 0.0;
      for (int t = 0; t < 3; ++t) total += (w[t] = 1.0 / (best_d[t] + kInverseDistanceEps));
      for (int t = 0; t < 3; ++t) {
        idx[3 * k + t] = best_i[t];
        wts[3 * k + t] = w[t] / total;
      }
    }
  });
  return out;
}

at::Tensor projection_matrix(const ProjectionNeighbours &nb, int64_t num_groups, int64_t grid) {
  if (!nb.pixels.device().is_cpu()) return projection_matrix_aten(nb, num_groups, grid);
  const int64_t side = nb.side;
  at::Tensor r = pooling_weights_1d(side, grid);
  auto racc = r.accessor<double, 2>();
  // Non-zero rows of each pixel column: every pixel feeds at most a few pooled cells per axis.
  std::vector<std::vector<std::pair<int64_t, double>>> cells(side);
  for (int64_t i = 0; i < grid; ++i)
    for (int64_t y = 0; y < side; ++y)
      if (racc[i][y] != 0.0) cells[y].emplace_back(i, racc[i][y]);

  at::Tensor m = at::zeros({grid * grid, num_groups}, at::kDouble);
  auto macc = m.accessor<double, 2>();
  auto pix = nb.pixels.accessor<int64_t, 1>();
  auto cen = nb.centres.accessor<int64_t, 2>();
  auto wts = nb.weights.accessor<double, 2>();
  for (int64_t k = 0; k < nb.pixels.size(0); ++k) {
    const int64_t y = pix[k] / side, x = pix[k] % side;
    for (int64_t t = 0; t < 3; ++t) {
      const int64_t g = cen[k][t];
      require(g >= 0 && g < num_groups, "projection: centre index out of range");
      for (const auto &[i, ri] : cells[y])
        for (const auto &[j, rj] : cells[x]) macc[i * grid + j][g] += ri * rj * wts[k][t];
    }
  }
  return m;
}

namespace {

// P's non-zero entries by grid cell (compressed sparse rows). A frame's P is mostly zeros (each
// cell sees the few groups near its pixels: 12 % of the entries for a full 224 x 224 cloud, far
// fewer for a small part), so the dense product costs 2 x 3136 x G x C flops where the sparse one
// costs 2 x nnz x C.
struct SparseRows {
  std::vector<int64_t> start;  // [cells + 1]
  std::vector<int64_t> column;
  std::vector<double> value;
};

// The same entries as projection_matrix, summed in the same order (pixel, then neighbour), so
// equal bit for bit, without the dense [grid*grid, G] array.
SparseRows sparse_projection_rows(const ProjectionNeighbours &nb, int64_t num_groups,
                                  int64_t grid) {
  const int64_t side = nb.side, cells_n = grid * grid, n = nb.pixels.size(0);
  at::Tensor r = pooling_weights_1d(side, grid);
  auto racc = r.accessor<double, 2>();
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
  // Sum each cell's contributions per group (in bucket order: the dense matrix's order).
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

at::Tensor rgb_tokens_to_patches(const at::Tensor &token_rows, int64_t h, int64_t w,
                                 int64_t grid) {
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
