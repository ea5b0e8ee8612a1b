// Training core: FIFO queue, k-means, learning-rate schedule, AdamW (against torch.optim.AdamW),
// the LSFA losses (values and gradients against a direct PyTorch computation of the formulas) and
// short training runs (loss goes down, adaptors change, bitwise reproducible, stop flag).
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <torch/optim/adamw.h>
#include "lsfa/core/error.h"
#include "lsfa/core/threads.h"
#include "lsfa/training/feature_queue.h"
#include "lsfa/training/kmeans.h"
#include "lsfa/training/lr_schedule.h"
#include "lsfa/training/lsfa_losses.h"
#include "lsfa/training/trainer.h"
#include "test_util.h"

namespace {

using lsfa::test::TempDir;

// Minimal .npy I/O (version 1.0, little endian, C order) for float64, int64 and bool arrays.
void write_npy(const std::string &path, const at::Tensor &t_in) {
  at::Tensor t = t_in.detach().contiguous();
  std::string descr;
  if (t.scalar_type() == at::kBool) t = t.to(at::kLong);
  if (t.scalar_type() == at::kFloat) t = t.to(at::kDouble);
  if (t.scalar_type() == at::kDouble)
    descr = "<f8";
  else if (t.scalar_type() == at::kLong)
    descr = "<i8";
  else
    throw std::runtime_error("write_npy: unsupported dtype");
  std::string shape = "(";
  for (int64_t i = 0; i < t.dim(); ++i) shape += std::to_string(t.size(i)) + ",";
  shape += ")";
  std::string header =
      "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  const uint16_t len = static_cast<uint16_t>(header.size());
  out.write(reinterpret_cast<const char *>(&len), 2);
  out << header;
  out.write(static_cast<const char *>(t.data_ptr()), static_cast<std::streamsize>(t.nbytes()));
}

at::Tensor read_npy(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("read_npy: cannot open " + path);
  char magic[8];
  in.read(magic, 8);
  uint16_t len = 0;
  in.read(reinterpret_cast<char *>(&len), 2);
  std::string header(len, ' ');
  in.read(header.data(), len);
  const bool is_double = header.find("'<f8'") != std::string::npos;
  const bool is_long = header.find("'<i8'") != std::string::npos;
  if (!is_double && !is_long) throw std::runtime_error("read_npy: unsupported dtype in " + path);
  std::vector<int64_t> shape;
  std::string dims = header.substr(header.find('(') + 1);
  dims = dims.substr(0, dims.find(')'));
  std::stringstream ss(dims);
  std::string item;
  while (std::getline(ss, item, ','))
    if (item.find_first_not_of(' ') != std::string::npos) shape.push_back(std::stoll(item));
  at::Tensor t = at::empty(shape, is_double ? at::kDouble : at::kLong);
  in.read(static_cast<char *>(t.data_ptr()), static_cast<std::streamsize>(t.nbytes()));
  if (!in) throw std::runtime_error("read_npy: truncated " + path);
  return t;
}

void write_text(const std::string &path, const std::string &text) {
  std::ofstream(path) << text;
}

at::Generator gen(uint64_t seed) {
  return at::make_generator<at::CPUGeneratorImpl>(seed);
}

at::Tensor randn_double(std::initializer_list<int64_t> size, at::Generator &g) {
  return at::randn(at::IntArrayRef(size), g, at::TensorOptions().dtype(at::kDouble));
}

void expect_close(const at::Tensor &actual, const at::Tensor &expected, double tol,
                  const std::string &what) {
  ASSERT_EQ(actual.sizes(), expected.sizes()) << what;
  const double diff =
      (actual.to(at::kDouble) - expected.to(at::kDouble)).abs().max().item<double>();
  EXPECT_LE(diff, tol) << what << ": max abs difference " << diff;
}

// ---------------------------------------------------------------- FIFO queue

TEST(FeatureQueue, KeepsTheNewestRowsOldestFirst) {
  lsfa::FeatureQueue q(5, 2);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.contents().sizes(), at::IntArrayRef({0, 2}));
  at::Tensor rows = at::arange(20, at::kFloat).reshape({10, 2});  // row r = (2r, 2r+1)
  q.push(rows.narrow(0, 0, 3));
  EXPECT_TRUE(q.contents().equal(rows.narrow(0, 0, 3)));
  q.push(rows.narrow(0, 3, 4));  // 7 rows into 5: rows 0 and 1 leave
  EXPECT_EQ(q.size(), 5);
  EXPECT_TRUE(q.contents().equal(rows.narrow(0, 2, 5)));
  q.push(rows.narrow(0, 7, 1));
  EXPECT_TRUE(q.contents().equal(rows.narrow(0, 3, 5)));
  q.push(rows);  // more than the capacity at once: the last 5
  EXPECT_TRUE(q.contents().equal(rows.narrow(0, 5, 5)));
  q.clear();
  EXPECT_EQ(q.size(), 0);
}

TEST(FeatureQueue, SubsamplesDeterministicallyAndKeepsOrder) {
  at::Tensor rows = at::arange(100, at::kFloat).reshape({50, 2});
  lsfa::FeatureQueue a(64, 2, 7), b(64, 2, 7), c(64, 2, 8);
  a.push(rows, 10);
  b.push(rows, 10);
  c.push(rows, 10);
  at::Tensor got = a.contents();
  ASSERT_EQ(got.size(0), 10);
  EXPECT_TRUE(got.equal(b.contents()));
  EXPECT_FALSE(got.equal(c.contents()));
  at::Tensor idx = got.select(1, 0) / 2;  // original row numbers
  for (int64_t i = 0; i < 10; ++i) {
    const float v = idx[i].item<float>();
    EXPECT_EQ(v, std::floor(v));
    EXPECT_TRUE(got[i].equal(rows[static_cast<int64_t>(v)]));
    if (i) {
      EXPECT_GT(v, idx[i - 1].item<float>());
    }
  }
  EXPECT_THROW(a.push(at::zeros({3, 5})), lsfa::Error);
  EXPECT_THROW(lsfa::FeatureQueue(0, 2), lsfa::Error);
}

// ---------------------------------------------------------------- k-means

TEST(KMeans, FindsSeparableBlobsAndIsDeterministic) {
  auto g = gen(3);
  const int64_t per = 40, k = 4, dim = 6;
  at::Tensor centres = randn_double({k, dim}, g) * 20;
  std::vector<at::Tensor> parts;
  for (int64_t i = 0; i < k; ++i) parts.push_back(centres[i] + randn_double({per, dim}, g));
  at::Tensor x = at::cat(parts).to(at::kFloat);
  at::Tensor truth = at::arange(k, at::kLong).repeat_interleave(per);
  lsfa::KMeansResult r = lsfa::kmeans(x, k, 20, 11);
  ASSERT_EQ(r.centroids.sizes(), at::IntArrayRef({k, dim}));
  ASSERT_EQ(r.assignments.sizes(), at::IntArrayRef({k * per}));
  // Each blob maps to exactly one cluster and the clusters are distinct.
  std::set<int64_t> used;
  for (int64_t i = 0; i < k; ++i) {
    at::Tensor a = r.assignments.narrow(0, i * per, per);
    EXPECT_TRUE((a == a[0]).all().item<bool>()) << "blob " << i << " split";
    used.insert(a[0].item<int64_t>());
    // Centroid = the blob's mean.
    expect_close(r.centroids[a[0].item<int64_t>()], x.narrow(0, i * per, per).mean(0), 1e-5,
                 "centroid");
  }
  EXPECT_EQ(used.size(), size_t(k));
  lsfa::KMeansResult again = lsfa::kmeans(x, k, 20, 11);
  EXPECT_TRUE(again.centroids.equal(r.centroids));
  EXPECT_TRUE(again.assignments.equal(r.assignments));
}

TEST(KMeans, SeedChangesInitialisationOnAmbiguousData) {
  auto g = gen(5);
  at::Tensor x = at::rand({200, 2}, g);  // one uniform blob: many local optima
  bool any_differs = false;
  lsfa::KMeansResult base = lsfa::kmeans(x, 5, 3, 0);
  for (uint64_t s = 1; s < 5; ++s)
    any_differs |= !lsfa::kmeans(x, 5, 3, s).centroids.equal(base.centroids);
  EXPECT_TRUE(any_differs);
}

TEST(KMeans, HandlesDuplicatesAndSmallInputs) {
  // Two distinct points, k = 3: a cluster must end up empty or duplicated, never NaN.
  at::Tensor x = at::tensor({0.f, 0.f, 0.f, 1.f, 1.f, 1.f}).reshape({6, 1});
  lsfa::KMeansResult r = lsfa::kmeans(x, 3, 10, 1);
  EXPECT_TRUE(at::isfinite(r.centroids).all().item<bool>());
  EXPECT_EQ(r.assignments.min().item<int64_t>() >= 0, true);
  EXPECT_LT(r.assignments.max().item<int64_t>(), 3);
  // k larger than the number of points is clamped.
  lsfa::KMeansResult small = lsfa::kmeans(x.narrow(0, 0, 2), 8, 5, 1);
  EXPECT_EQ(small.centroids.size(0), 2);
  EXPECT_THROW(lsfa::kmeans(at::zeros({0, 3}), 2, 5, 0), lsfa::Error);
}

// ---------------------------------------------------------------- Python reference cases
//
// Every comparison against PyTorch is prepared here (inputs written, C++ results kept) and the
// reference script runs once for all of them: a Python start costs seconds on a loaded machine.

struct Case {
  std::string mode, dir;
  std::map<std::string, at::Tensor> cpp;  // C++ results to compare with <dir>/<name>.npy
  std::vector<at::Tensor> inputs;         // inputs kept for extra checks
};

std::string bool_json(bool b) {
  return b ? "true" : "false";
}

void prepare_adamw(Case &c) {
  auto g = gen(9);
  std::vector<at::Tensor> init = {at::randn({4, 3}, g), at::randn({5}, g), at::randn({2, 2}, g)};
  std::vector<at::Tensor> params;
  for (size_t i = 0; i < init.size(); ++i) {
    write_npy(c.dir + "/param_" + std::to_string(i) + ".npy", init[i]);
    params.push_back(init[i].clone().set_requires_grad(true));
  }
  // LibTorch's C++ AdamW as the trainer drives it: the learning rate set on the group before
  // each step, gradients dropped (undefined) after it.
  torch::optim::AdamWOptions cfg(1e-3);
  cfg.betas({0.85, 0.99}).eps(1e-6).weight_decay(0.05);
  torch::optim::AdamW opt(params, cfg);
  const std::vector<double> lrs = {1e-3, 5e-3, 2e-2, 1e-2, 3e-3, 1e-3};
  std::string lr_list;
  for (size_t s = 0; s < lrs.size(); ++s) {
    for (size_t i = 0; i < params.size(); ++i) {
      if (s == 2 && i == 1) continue;  // no gradient: skipped, state not advanced
      at::Tensor grad = at::randn(params[i].sizes(), g);
      write_npy(c.dir + "/grad_" + std::to_string(s) + "_" + std::to_string(i) + ".npy", grad);
      params[i].mutable_grad() = grad;
    }
    static_cast<torch::optim::AdamWOptions &>(opt.param_groups()[0].options()).lr(lrs[s]);
    opt.step();
    for (at::Tensor &p : params) p.mutable_grad().reset();
    lr_list += (s ? "," : "") + std::to_string(lrs[s]);
  }
  for (size_t i = 0; i < params.size(); ++i) {
    c.cpp["result_" + std::to_string(i)] = params[i].detach().clone();
    c.inputs.push_back(init[i]);
  }
  write_text(c.dir + "/options.json", "{\"params\": 3, \"lrs\": [" + lr_list +
                                          "], \"beta1\": 0.85, \"beta2\": 0.99, " +
                                          "\"eps\": 1e-6, \"weight_decay\": 0.05}");
}

void prepare_info_nce(Case &c) {
  auto g = gen(21);
  at::Tensor a = randn_double({17, 6}, g), b = randn_double({17, 6}, g);
  b[4].zero_();  // a zero row (background-like): normalisation must not produce NaN
  write_npy(c.dir + "/a.npy", a);
  write_npy(c.dir + "/b.npy", b);
  a.set_requires_grad(true);
  b.set_requires_grad(true);
  at::Tensor loss = lsfa::paired_info_nce(a, b, 0.2);
  loss.backward();
  c.cpp["loss"] = loss.detach();
  c.cpp["grad_a"] = a.grad();
  c.cpp["grad_b"] = b.grad();
  write_text(c.dir + "/options.json", "{\"tau\": 0.2}");
}

void prepare_compactness(Case &c) {
  auto g = gen(22);
  at::Tensor f = randn_double({30, 5}, g), q = randn_double({12, 5}, g);
  f[3].copy_(q[7]);  // a zero distance: gradient must be 0, not NaN
  write_npy(c.dir + "/f.npy", f);
  write_npy(c.dir + "/q.npy", q);
  f.set_requires_grad(true);
  at::Tensor loss = lsfa::compactness_loss(f, q);
  loss.backward();
  c.cpp["loss"] = loss.detach();
  c.cpp["grad_f"] = f.grad();
  write_text(c.dir + "/options.json", "{}");
}

void prepare_foreground(Case &c) {
  at::Tensor valid = at::zeros({224, 224}, at::kBool);
  valid.narrow(0, 40, 100).narrow(1, 60, 90).fill_(true);
  valid[200][10] = true;  // a lone valid pixel still marks its patches
  write_npy(c.dir + "/valid.npy", valid);
  c.cpp["foreground"] = lsfa::foreground_patches(valid, 56).to(at::kLong);
  write_text(c.dir + "/options.json", "{\"grid\": 56}");
}

// The full objective (all four losses, background skipping, prototypes, queues, switches).
void prepare_objective(Case &c, bool use_ifc, bool use_clc, lsfa::BackgroundPatches background) {
  const int64_t batch = 3, n = 36, c1 = 8, c2 = 12;
  auto g = gen(31);
  lsfa::LossConfig cfg;
  cfg.tau = 0.1;
  cfg.lambda = 0.7;
  cfg.clusters = 3;
  cfg.local_queue_size = 40;
  cfg.local_enqueue_per_batch = 25;
  cfg.global_queue_size = 6;
  cfg.background = background;
  // The "keep" case also covers the paper's plain L2 compactness (no per-channel scaling).
  cfg.compactness_per_channel = background == lsfa::BackgroundPatches::kSkip;
  lsfa::LsfaObjective obj(cfg, c1, c2, use_ifc, use_clc, 5);
  auto make_batch = [&](std::vector<at::Tensor> &rgb, std::vector<at::Tensor> &pts,
                        std::vector<at::Tensor> &fg) {
    for (int64_t b = 0; b < batch; ++b) {
      rgb.push_back(randn_double({n, c1}, g));
      pts.push_back(randn_double({n, c2}, g));
      fg.push_back(at::rand({n}, g) > 0.4);
    }
    fg[1].fill_(false);  // a sample without foreground uses all patches
  };
  {  // a first batch fills the queues
    std::vector<at::Tensor> rgb, pts, fg;
    make_batch(rgb, pts, fg);
    lsfa::LossTerms first = obj.compute(rgb, pts, fg, 1);
    c.cpp["first_compactness"] = (first.lc + first.gc).detach();  // empty queues: 0
    obj.enqueue(first);
  }
  if (use_ifc) {
    c.cpp["local_queue_size"] = at::tensor(obj.local_queue(0).size());
    c.cpp["global_queue_size"] = at::tensor(obj.global_queue(1).size());
  }
  std::vector<at::Tensor> rgb, pts, fg;
  make_batch(rgb, pts, fg);
  for (auto &t : rgb) t.set_requires_grad(true);
  for (auto &t : pts) t.set_requires_grad(true);
  lsfa::LossTerms terms = obj.compute(rgb, pts, fg, 2);
  terms.total.backward();
  c.cpp["la"] = terms.la.detach();
  c.cpp["ga"] = terms.ga.detach();
  c.cpp["lc"] = terms.lc.detach();
  c.cpp["gc"] = terms.gc.detach();
  c.cpp["total"] = terms.total.detach();
  std::vector<at::Tensor> grad_rgb, grad_pts;
  for (int64_t b = 0; b < batch; ++b) {
    grad_rgb.push_back(rgb[b].grad());
    grad_pts.push_back(pts[b].grad());
  }
  c.cpp["grad_rgb"] = at::stack(grad_rgb);
  c.cpp["grad_points"] = at::stack(grad_pts);

  write_npy(c.dir + "/rgb.npy", at::stack(rgb));
  write_npy(c.dir + "/points.npy", at::stack(pts));
  write_npy(c.dir + "/foreground.npy", at::stack(fg));
  write_npy(c.dir + "/proj_rgb.npy", use_clc ? obj.projection().rgb : at::eye(c1, c1));
  write_npy(c.dir + "/proj_points.npy", use_clc ? obj.projection().points : at::eye(c2, c1));
  for (int m = 0; m < 2; ++m) {
    const int64_t width = m ? c2 : c1;
    const std::string suffix = std::to_string(m) + ".npy";
    write_npy(c.dir + "/local_queue_" + suffix,
              use_ifc ? obj.local_queue(m).contents() : at::zeros({0, width}));
    write_npy(c.dir + "/global_queue_" + suffix,
              use_ifc ? obj.global_queue(m).contents() : at::zeros({0, width}));
    if (terms.assignments[m].size() != size_t(batch))
      throw std::runtime_error("objective: missing k-means assignments");
    for (int64_t b = 0; b < batch; ++b)
      write_npy(c.dir + "/assign_" + std::to_string(m) + "_" + std::to_string(b) + ".npy",
                terms.assignments[m][b]);
  }
  write_text(c.dir + "/options.json",
             "{\"tau\": 0.1, \"lambda\": 0.7, \"use_ifc\": " + bool_json(use_ifc) +
                 ", \"use_clc\": " + bool_json(use_clc) + ", \"skip_background\": " +
                 bool_json(background == lsfa::BackgroundPatches::kSkip) +
                 ", \"per_channel\": " + bool_json(cfg.compactness_per_channel) + "}");
}

class References {
 public:
  static const Case &get(const std::string &name) {
    static References refs;
    if (!refs.error_.empty()) throw std::runtime_error(refs.error_);
    return refs.cases_.at(name);
  }

 private:
  References() {
    using B = lsfa::BackgroundPatches;
    add("adamw", "adamw", prepare_adamw);
    add("info_nce", "info_nce", prepare_info_nce);
    add("compactness", "compactness", prepare_compactness);
    add("foreground", "foreground", prepare_foreground);
    add("objective", "objective", [](Case &c) { prepare_objective(c, true, true, B::kSkip); });
    add("objective_keep", "objective", [](Case &c) { prepare_objective(c, true, true, B::kKeep); });
    add("objective_no_ifc", "objective",
        [](Case &c) { prepare_objective(c, false, true, B::kSkip); });
    add("objective_no_clc", "objective",
        [](Case &c) { prepare_objective(c, true, false, B::kSkip); });
    std::string args, output;
    for (const auto &[name, c] : cases_)
      args += " " + c.mode + " " + lsfa::test::shell_quote(c.dir);
    if (lsfa::test::run_python("training_reference.py", args, &output) != 0)
      error_ = "training_reference.py failed:\n" + output;
  }
  template <typename F>
  void add(const std::string &name, const std::string &mode, F prepare) {
    Case &c = cases_[name];
    c.mode = mode;
    c.dir = root_.file(name);
    std::filesystem::create_directories(c.dir);
    prepare(c);
  }
  TempDir root_;
  std::map<std::string, Case> cases_;
  std::string error_;
};

// Compares the C++ result `name` of a case with the reference's <name>.npy.
// tol is relative to the largest magnitude of the reference (at least 1): the zero row of the
// InfoNCE case has gradients of order 1e11 (1 / the normalisation epsilon), where double rounding
// alone differs between LibTorch versions by ~1e-5 absolute.
void expect_matches(const Case &c, const std::string &name, double tol) {
  at::Tensor expected = read_npy(c.dir + "/" + name + ".npy");
  const double scale = std::max(1.0, expected.abs().max().item<double>());
  expect_close(c.cpp.at(name), expected, tol * scale, c.dir + ": " + name);
}

// ---------------------------------------------------------------- schedule and AdamW

TEST(LrSchedule, WarmupThenCosine) {
  lsfa::LrSchedule s;
  s.base_lr = 1.0;
  s.min_lr = 0.1;
  s.warmup_steps = 4;
  s.total_steps = 14;
  EXPECT_DOUBLE_EQ(lsfa::learning_rate_at(s, 0), 0.25);
  EXPECT_DOUBLE_EQ(lsfa::learning_rate_at(s, 1), 0.5);
  EXPECT_DOUBLE_EQ(lsfa::learning_rate_at(s, 3), 1.0);
  EXPECT_DOUBLE_EQ(lsfa::learning_rate_at(s, 4), 1.0);
  EXPECT_NEAR(lsfa::learning_rate_at(s, 9), 0.1 + 0.9 * 0.5, 1e-15);
  EXPECT_NEAR(lsfa::learning_rate_at(s, 13), 0.1 + 0.9 * 0.5 * (1 + std::cos(M_PI * 0.9)), 1e-15);
  EXPECT_DOUBLE_EQ(lsfa::learning_rate_at(s, 14), 0.1);
  s.warmup_steps = 0;
  EXPECT_DOUBLE_EQ(lsfa::learning_rate_at(s, 0), 1.0);
  s.warmup_steps = 20;
  EXPECT_THROW(lsfa::learning_rate_at(s, 0), lsfa::Error);
}

TEST(AdamW, LibTorchAdamWAsTheTrainerUsesItMatchesTorchOptim) {
  const Case &c = References::get("adamw");
  // Parameter 1 had no gradient in step 2: its state did not advance, which changes its bias
  // corrections; matching the reference checks that too.
  for (size_t i = 0; i < 3; ++i) {
    expect_matches(c, "result_" + std::to_string(i), 1e-6);
    EXPECT_GT((c.cpp.at("result_" + std::to_string(i)) - c.inputs[i]).abs().max().item<double>(),
              1e-3);  // it did move
  }
}

// ---------------------------------------------------------------- losses

TEST(Losses, InfoNceMatchesPyTorch) {
  const Case &c = References::get("info_nce");
  expect_matches(c, "loss", 1e-10);
  expect_matches(c, "grad_a", 1e-10);
  expect_matches(c, "grad_b", 1e-10);
  EXPECT_TRUE(at::isfinite(c.cpp.at("grad_b")).all().item<bool>());
  // Perfectly paired, well separated rows give a loss near 0.
  at::Tensor eye = at::eye(5, at::kDouble);
  EXPECT_LT(lsfa::paired_info_nce(eye, eye, 0.05).item<double>(), 1e-6);
}

TEST(Losses, CompactnessMatchesPyTorch) {
  const Case &c = References::get("compactness");
  expect_matches(c, "loss", 1e-10);
  expect_matches(c, "grad_f", 1e-10);
  EXPECT_TRUE(at::isfinite(c.cpp.at("grad_f")).all().item<bool>());
  EXPECT_EQ(lsfa::compactness_loss(at::ones({3, 5}, at::kDouble), at::zeros({0, 5}, at::kDouble))
                .item<double>(),
            0.0);
}

TEST(Losses, ForegroundPatchesMatchPooling) {
  const Case &c = References::get("foreground");
  at::Tensor fg = c.cpp.at("foreground");
  EXPECT_TRUE(fg.equal(read_npy(c.dir + "/foreground.npy")));
  EXPECT_GT(fg.sum().item<int64_t>(), 500);
  EXPECT_LT(fg.sum().item<int64_t>(), 1000);
  EXPECT_TRUE(lsfa::foreground_patches(at::Tensor(), 56).all().item<bool>());
}

TEST(Losses, CrossModalProjectionIsFixedAndOrthonormal) {
  lsfa::CrossModalProjection p = lsfa::make_cross_modal_projection(32, 48, 4);
  EXPECT_EQ(p.dim, 32);
  EXPECT_TRUE(p.rgb.equal(at::eye(32)));
  ASSERT_EQ(p.points.sizes(), at::IntArrayRef({48, 32}));
  expect_close(at::mm(p.points.t(), p.points), at::eye(32), 1e-5, "orthonormal columns");
  EXPECT_TRUE(lsfa::make_cross_modal_projection(32, 48, 4).points.equal(p.points));
  EXPECT_FALSE(lsfa::make_cross_modal_projection(32, 48, 5).points.equal(p.points));
  lsfa::CrossModalProjection q = lsfa::make_cross_modal_projection(48, 32, 4);
  EXPECT_TRUE(q.rgb.equal(p.points));
  EXPECT_TRUE(q.points.equal(at::eye(32)));
}

void check_objective(const std::string &name, bool use_ifc, bool use_clc) {
  const Case &c = References::get(name);
  const double tol = 1e-5;
  for (const char *term : {"la", "ga", "lc", "gc", "total", "grad_rgb", "grad_points"})
    expect_matches(c, term, tol);
  EXPECT_EQ(c.cpp.at("first_compactness").item<double>(), 0.0);  // queues start empty
  auto value = [&](const char *term) { return c.cpp.at(term).item<double>(); };
  if (use_ifc) {
    EXPECT_EQ(c.cpp.at("local_queue_size").item<int64_t>(), 25);  // enqueue cap
    EXPECT_EQ(c.cpp.at("global_queue_size").item<int64_t>(), 6);  // capacity
    EXPECT_GT(value("lc") * value("gc"), 0);
  } else {
    EXPECT_EQ(value("lc") + value("gc"), 0);
  }
  if (use_clc) {
    EXPECT_GT(value("la") * value("ga"), 0);
  } else {
    EXPECT_EQ(value("la") + value("ga"), 0);
  }
}

TEST(Losses, ObjectiveMatchesPyTorch) {
  check_objective("objective", true, true);
}
TEST(Losses, ObjectiveWithBackgroundKept) {
  check_objective("objective_keep", true, true);
}
TEST(Losses, ObjectiveWithoutIfc) {
  check_objective("objective_no_ifc", false, true);
}
TEST(Losses, ObjectiveWithoutClc) {
  check_objective("objective_no_clc", true, false);
}

TEST(Losses, ObjectiveRejectsBadOptions) {
  lsfa::LossConfig cfg;
  EXPECT_THROW(lsfa::LsfaObjective(cfg, 8, 0, true, true, 0), lsfa::Error);  // CLC needs both
  EXPECT_THROW(lsfa::LsfaObjective(cfg, 8, 8, false, false, 0), lsfa::Error);
  cfg.tau = 0;
  EXPECT_THROW(lsfa::LsfaObjective(cfg, 8, 8, true, true, 0), lsfa::Error);
  EXPECT_EQ(lsfa::background_patches_from_string("keep"), lsfa::BackgroundPatches::kKeep);
  EXPECT_THROW(lsfa::background_patches_from_string("none"), lsfa::Error);
}

// ---------------------------------------------------------------- training runs

// Synthetic cached features: an object (a bump on a plane) seen by both modalities; RGB tokens and
// group features are noisy functions of the surface position, so the modalities share structure.
std::vector<lsfa::SampleFeatures> synthetic_features(int64_t count, int64_t c1, int64_t c2,
                                                     int64_t groups, uint64_t seed) {
  auto g = gen(seed);
  at::Tensor mix_rgb = at::randn({4, c1}, g), mix_pts = at::randn({4, c2}, g);
  std::vector<lsfa::SampleFeatures> out;
  for (int64_t s = 0; s < count; ++s) {
    lsfa::SampleFeatures f;
    at::Tensor lin = at::linspace(-1, 1, 224, at::kFloat);
    at::Tensor yy = lin.unsqueeze(1).expand({224, 224}), xx = lin.unsqueeze(0).expand({224, 224});
    const double shift = 0.2 * at::randn({1}, g).item<double>();
    at::Tensor zz = 1.0 + 0.3 * at::exp(-((xx - shift).pow(2) + yy.pow(2)) * 4);
    f.valid = (xx - shift).pow(2) + yy.pow(2) < 0.6;
    f.xyz = at::stack({xx, yy, zz}, 2) * f.valid.unsqueeze(2);
    at::Tensor flat = f.xyz.reshape({-1, 3}).index_select(0, f.valid.flatten().nonzero().flatten());
    at::Tensor pick = at::randperm(flat.size(0), g, at::kLong).narrow(0, 0, groups);
    f.point_centers = flat.index_select(0, pick);
    auto basis = [](const at::Tensor &p) {  // [n,3] -> [n,4]
      return at::stack({p.select(1, 0), p.select(1, 1), (p.select(1, 2) - 1) * 3,
                        at::sin(3 * p.select(1, 0)) * at::cos(3 * p.select(1, 1))},
                       1);
    };
    f.point_groups = at::mm(basis(f.point_centers), mix_pts) + 0.3 * at::randn({groups, c2}, g);
    at::Tensor tok = lin.reshape({28, 8}).select(1, 4);  // centres of the 8-pixel patches
    at::Tensor ty = tok.unsqueeze(1).expand({28, 28}), tx = tok.unsqueeze(0).expand({28, 28});
    at::Tensor tz = 1.0 + 0.3 * at::exp(-((tx - shift).pow(2) + ty.pow(2)) * 4);
    at::Tensor pos = at::stack({tx, ty, tz}, 2).reshape({-1, 3});
    f.rgb_tokens = (at::mm(basis(pos), mix_rgb) + 0.3 * at::randn({28 * 28, c1}, g))
                       .t()
                       .reshape({c1, 28, 28})
                       .contiguous();
    out.push_back(f);
  }
  return out;
}

lsfa::TrainConfig small_config() {
  lsfa::TrainConfig cfg;
  cfg.epochs = 4;
  cfg.batch_size = 4;
  cfg.lr = 2e-3;
  cfg.warmup_epochs = 1;
  cfg.seed = 3;
  cfg.loss.local_queue_size = 2048;
  cfg.loss.local_enqueue_per_batch = 512;
  cfg.loss.global_queue_size = 64;
  cfg.loss.alignment_max_patches = 512;
  return cfg;
}

struct Adaptors {
  lsfa::Adaptor rgb, points;
};
Adaptors fresh_adaptors(int64_t c1, int64_t c2) {
  return {lsfa::Adaptor(lsfa::AdaptorConfig{c1, 0, 2}, 1),
          lsfa::Adaptor(lsfa::AdaptorConfig{c2, 0, 2}, 2)};
}

bool same_weights(const lsfa::Adaptor &a, const lsfa::Adaptor &b) {
  auto pa = a.parameters(), pb = b.parameters();
  for (size_t i = 0; i < pa.size(); ++i)
    if (!pa[i].equal(pb[i])) return false;
  return true;
}

class Training : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    lsfa::set_threads(1);
    data_ = new std::vector<lsfa::SampleFeatures>(synthetic_features(8, 32, 48, 24, 77));
  }
  static void TearDownTestSuite() { delete data_; }
  static std::vector<lsfa::SampleFeatures> *data_;
};
std::vector<lsfa::SampleFeatures> *Training::data_ = nullptr;

TEST_F(Training, LowersTheLossChangesAdaptorsAndIsReproducible) {
  lsfa::TrainConfig cfg = small_config();
  Adaptors a = fresh_adaptors(32, 48);
  ASSERT_TRUE(a.rgb.is_identity() && a.points.is_identity());
  std::vector<int64_t> seen;
  lsfa::TrainResult r = lsfa::train_adaptors(*data_, a.rgb, a.points, cfg,
                                             [&](int64_t step, int64_t total, double loss) {
                                               seen.push_back(step);
                                               EXPECT_EQ(total, 8);
                                               EXPECT_TRUE(std::isfinite(loss));
                                             });
  ASSERT_EQ(r.total_steps, 8);  // 8 samples, batch 4 -> 2 steps per epoch
  ASSERT_EQ(r.steps.size(), size_t(8));
  ASSERT_EQ(r.epochs.size(), size_t(4));
  EXPECT_EQ(seen.size(), size_t(8));
  EXPECT_EQ(seen.back(), 8);
  EXPECT_FALSE(r.stopped);
  EXPECT_FALSE(a.rgb.is_identity());
  EXPECT_FALSE(a.points.is_identity());
  // The schedule: warm-up over the first epoch (2 steps), then cosine over 6 steps.
  EXPECT_NEAR(r.steps[0].lr, 2e-3 / 2, 1e-12);
  EXPECT_NEAR(r.steps[2].lr, 2e-3, 1e-12);
  EXPECT_NEAR(r.steps[7].lr, 1e-3 * (1 + std::cos(M_PI * 5 / 6)), 1e-12);
  for (const auto &s : r.steps) {
    EXPECT_NEAR(s.total, (s.lc + s.gc) + cfg.loss.lambda * (s.la + s.ga), 1e-4 * std::abs(s.total));
  }
  for (size_t e = 0; e < r.epochs.size(); ++e)
    std::printf("epoch %zu: total %.4f LA %.4f GA %.4f LC %.4f GC %.4f\n", e, r.epochs[e].total,
                r.epochs[e].la, r.epochs[e].ga, r.epochs[e].lc, r.epochs[e].gc);
  std::printf("prepare %.2f s, train %.2f s\n", r.prepare_seconds, r.train_seconds);
  // The first step has empty queues (L_LC = L_GC = 0); compare full epochs from the second on.
  EXPECT_LT(r.epochs.back().total, r.epochs[1].total);
  EXPECT_LT(r.epochs.back().la, r.epochs[0].la);

  Adaptors b = fresh_adaptors(32, 48);
  lsfa::train_adaptors(*data_, b.rgb, b.points, cfg);
  EXPECT_TRUE(same_weights(a.rgb, b.rgb));
  EXPECT_TRUE(same_weights(a.points, b.points));

  Adaptors c = fresh_adaptors(32, 48);
  cfg.seed = 4;
  lsfa::train_adaptors(*data_, c.rgb, c.points, cfg);
  EXPECT_FALSE(same_weights(a.rgb, c.rgb));
}

TEST_F(Training, AlignmentOnlyLowersTheAlignmentLoss) {
  lsfa::TrainConfig cfg = small_config();
  cfg.use_ifc = false;
  cfg.epochs = 5;
  Adaptors a = fresh_adaptors(32, 48);
  lsfa::TrainResult r = lsfa::train_adaptors(*data_, a.rgb, a.points, cfg);
  for (const auto &s : r.steps) EXPECT_EQ(s.lc + s.gc, 0.0);
  EXPECT_LT(r.epochs.back().total, r.epochs.front().total - 0.05);
}

TEST_F(Training, StopFlagEndsCleanly) {
  lsfa::TrainConfig cfg = small_config();
  Adaptors a = fresh_adaptors(32, 48);
  std::atomic<bool> stop{false};
  lsfa::TrainResult r = lsfa::train_adaptors(
      *data_, a.rgb, a.points, cfg,
      [&](int64_t step, int64_t, double) {
        if (step == 3) stop = true;
      },
      &stop);
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.steps.size(), size_t(3));
  EXPECT_EQ(r.epochs.size(), size_t(1));  // only the completed first epoch
  EXPECT_FALSE(a.rgb.is_identity());
  EXPECT_FALSE(a.rgb.parameters()[0].requires_grad());
}

TEST_F(Training, SingleModalityCompactnessOnly) {
  lsfa::TrainConfig cfg = small_config();
  cfg.epochs = 2;
  cfg.modalities = lsfa::Modalities::kRgb;
  lsfa::Adaptor rgb(lsfa::AdaptorConfig{32, 0, 2}, 1), none;
  EXPECT_THROW(lsfa::train_adaptors(*data_, rgb, none, cfg), lsfa::Error);  // CLC needs both
  cfg.use_clc = false;
  lsfa::TrainResult r = lsfa::train_adaptors(*data_, rgb, none, cfg);
  EXPECT_EQ(r.steps.size(), size_t(4));
  EXPECT_FALSE(rgb.is_identity());
  EXPECT_FALSE(none.defined());
  for (const auto &s : r.steps) EXPECT_EQ(s.la + s.ga, 0.0);
}

TEST_F(Training, RejectsInconsistentInput) {
  lsfa::TrainConfig cfg = small_config();
  Adaptors a = fresh_adaptors(32, 40);  // point width does not match the features
  EXPECT_THROW(lsfa::train_adaptors(*data_, a.rgb, a.points, cfg), lsfa::Error);
  Adaptors b = fresh_adaptors(32, 48);
  EXPECT_THROW(lsfa::train_adaptors({}, b.rgb, b.points, cfg), lsfa::Error);
  cfg.epochs = 0;
  EXPECT_THROW(lsfa::train_adaptors(*data_, b.rgb, b.points, cfg), lsfa::Error);
  EXPECT_TRUE(b.rgb.is_identity());
}

}  // namespace
