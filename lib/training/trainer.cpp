#include "lsfa/training/trainer.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/optim/adamw.h>

#include <chrono>
#include <cmath>
#include <string>

#include "lsfa/core/error.h"
#include "lsfa/model/projection.h"
#include "lsfa/training/lr_schedule.h"

namespace lsfa {

void TrainConfig::validate() const {
  require(epochs > 0, "training option epochs must be positive, got " + std::to_string(epochs));
  require(batch_size > 0,
          "training option batch_size must be positive, got " + std::to_string(batch_size));
  require(lr > 0, "training option lr must be positive, got " + std::to_string(lr));
  require(min_lr >= 0 && min_lr <= lr, "training option min_lr must lie in [0, lr]");
  require(weight_decay >= 0, "training option weight_decay must be >= 0");
  require(
      output_lr_scale > 0 && output_lr_scale <= 1,
      "training option output_lr_scale must lie in (0, 1], got " + std::to_string(output_lr_scale));
  require(warmup_epochs >= 0 && warmup_epochs <= epochs,
          "training option warmup_epochs must lie in [0, epochs], got " +
              std::to_string(warmup_epochs));
  require(use_ifc || use_clc, "training: both IFC and CLC are switched off, nothing to train");
  require(!use_clc || modalities == Modalities::kFused,
          "training: cross-modal alignment (CLC) needs both modalities; switch it off for a "
          "single-modality model");
  require(grid > 0, "training option grid must be positive");
  loss.validate();
}

namespace {

struct PreparedSample {
  at::Tensor rgb_tokens;  // [h*w, C1]
  int64_t h = 0, w = 0;
  at::Tensor groups;      // [G, C2]
  at::Tensor operator_;   // sparse float [N_m, G]: the linear projection of the groups to the grid
  at::Tensor foreground;  // [N_m] bool
};

StepLosses to_values(const LossTerms &t, double lr) {
  StepLosses s;
  s.total = t.total.item<double>();
  s.la = t.la.item<double>();
  s.ga = t.ga.item<double>();
  s.lc = t.lc.item<double>();
  s.gc = t.gc.item<double>();
  s.lr = lr;
  return s;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TrainResult train_adaptors(const std::vector<SampleFeatures> &cached, Adaptor &rgb, Adaptor &points,
                           const TrainConfig &config, const TrainProgress &progress,
                           const std::atomic<bool> *stop) {
  config.validate();
  require(!cached.empty(), "training: no training samples");
  const bool use_rgb = config.modalities != Modalities::kPoints;
  const bool use_pts = config.modalities != Modalities::kRgb;
  require(!use_rgb || rgb.defined(), "training: the RGB adaptor is not initialised");
  require(!use_pts || points.defined(), "training: the point adaptor is not initialised");
  // Training runs on the adaptors' device; the cached features are copied there once.
  const at::Device device =
      use_rgb ? rgb.parameters()[0].device() : points.parameters()[0].device();
  require(!(use_rgb && use_pts) || points.parameters()[0].device() == device,
          "training: the RGB and point adaptors are on different devices");
  const int64_t grid = config.grid, n_m = grid * grid;
  const int64_t c1 = use_rgb ? rgb.config().dim : 0, c2 = use_pts ? points.config().dim : 0;

  TrainResult result;
  auto t_prepare = std::chrono::steady_clock::now();
  std::vector<PreparedSample> data(cached.size());
  for (size_t i = 0; i < cached.size(); ++i) {
    const SampleFeatures &f = cached[i];
    PreparedSample &p = data[i];
    const std::string which = "training sample " + std::to_string(i);
    if (use_rgb) {
      require(f.rgb_tokens.defined() && f.rgb_tokens.dim() == 3 && f.rgb_tokens.size(0) == c1,
              which + ": RGB tokens must be [" + std::to_string(c1) + ",h,w], got " +
                  (f.rgb_tokens.defined() ? c10::str(f.rgb_tokens.sizes()) : "none"));
      p.h = f.rgb_tokens.size(1);
      p.w = f.rgb_tokens.size(2);
      p.rgb_tokens =
          f.rgb_tokens.detach().to(device, at::kFloat).reshape({c1, p.h * p.w}).t().contiguous();
    }
    if (use_pts) {
      require(f.point_groups.defined() && f.point_groups.dim() == 2 && f.point_groups.size(1) == c2,
              which + ": point groups must be [G," + std::to_string(c2) + "], got " +
                  (f.point_groups.defined() ? c10::str(f.point_groups.sizes()) : "none"));
      require(f.point_centers.defined() && f.point_centers.size(0) == f.point_groups.size(0),
              which + ": point centres missing or not one per group");
      require(f.xyz.defined(), which + ": the point cloud (xyz) is missing");
      p.groups = f.point_groups.detach().to(device, at::kFloat).contiguous();
      // The projection is linear in the features: compute its matrix once per sample and keep it
      // sparse (each patch sees few groups), instead of redoing the geometry every step.
      p.operator_ =
          projection_matrix(nearest_centres(f.xyz, f.point_centers), f.point_groups.size(0), grid)
              .to(device, at::kFloat)
              .to_sparse();
    }
    p.foreground = foreground_patches(f.valid, grid).to(device);
  }
  result.prepare_seconds = seconds_since(t_prepare);

  auto t_train = std::chrono::steady_clock::now();
  const int64_t n = static_cast<int64_t>(data.size());
  const int64_t steps_per_epoch = (n + config.batch_size - 1) / config.batch_size;
  LrSchedule schedule;
  schedule.base_lr = config.lr;
  schedule.min_lr = config.min_lr;
  schedule.total_steps = config.epochs * steps_per_epoch;
  schedule.warmup_steps =
      std::min<int64_t>(schedule.total_steps, std::llround(config.warmup_epochs * steps_per_epoch));
  result.total_steps = schedule.total_steps;

  // Output projections (attn.proj, mlp.fc2; zero-initialised) get their own optimiser so their
  // learning rate can be scaled; Adaptor::parameters() lists them at positions 4, 5, 10, 11.
  std::vector<at::Tensor> params, output_params;
  auto collect = [&](Adaptor &a) {
    a.set_requires_grad(true);
    std::vector<at::Tensor> ps = a.parameters();
    for (size_t i = 0; i < ps.size(); ++i)
      (i == 4 || i == 5 || i == 10 || i == 11 ? output_params : params).push_back(ps[i]);
  };
  if (use_rgb) collect(rgb);
  if (use_pts) collect(points);
  // LibTorch's AdamW (torch.optim.AdamW's update); one group per learning rate.
  torch::optim::AdamWOptions adamw(config.lr);
  adamw.weight_decay(config.weight_decay);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(params, std::make_unique<torch::optim::AdamWOptions>(adamw));
  groups.emplace_back(output_params, std::make_unique<torch::optim::AdamWOptions>(adamw));
  torch::optim::AdamW optimizer(std::move(groups), adamw);
  auto set_lr = [&optimizer](size_t group, double lr) {
    static_cast<torch::optim::AdamWOptions &>(optimizer.param_groups()[group].options()).lr(lr);
  };
  LsfaObjective objective(config.loss, c1, c2, config.use_ifc, config.use_clc,
                          mix_seed(config.seed, 101));
  auto shuffle_gen = at::make_generator<at::CPUGeneratorImpl>(mix_seed(config.seed, 202));

  int64_t step = 0;
  try {
    for (int64_t epoch = 0; epoch < config.epochs && !result.stopped; ++epoch) {
      at::Tensor order = at::randperm(n, shuffle_gen, at::kLong);
      StepLosses sum;
      int64_t epoch_steps = 0;
      for (int64_t start = 0; start < n; start += config.batch_size) {
        if (stop && stop->load()) {
          result.stopped = true;
          break;
        }
        const int64_t bsz = std::min(config.batch_size, n - start);
        std::vector<at::Tensor> rgb_feats, pt_feats, fg;
        for (int64_t j = 0; j < bsz; ++j) {
          const PreparedSample &p = data[order[start + j].item<int64_t>()];
          if (use_rgb) {
            at::Tensor tokens = rgb.forward(p.rgb_tokens);  // [h*w, C1]
            at::Tensor on_grid = rgb_tokens_to_grid(tokens.t().reshape({c1, p.h, p.w}), grid);
            rgb_feats.push_back(on_grid.reshape({c1, n_m}).t());
          }
          if (use_pts) {
            at::Tensor groups = points.forward(p.groups);  // [G, C2]
            pt_feats.push_back(at::mm(p.operator_.to_dense(), groups));
          }
          fg.push_back(p.foreground);
        }
        LossTerms terms = objective.compute(rgb_feats, pt_feats, fg, mix_seed(config.seed, step));
        const double lr = learning_rate_at(schedule, step);
        if (terms.total.requires_grad()) terms.total.backward();
        set_lr(0, lr);
        set_lr(1, lr * config.output_lr_scale);
        optimizer.step();
        // Gradients dropped (undefined), not zeroed: a parameter without a gradient in the next
        // step is skipped instead of decayed, as torch.optim does with set_to_none.
        for (auto &group : optimizer.param_groups())
          for (at::Tensor &p : group.params()) p.mutable_grad().reset();
        objective.enqueue(terms);

        StepLosses s = to_values(terms, lr);
        result.steps.push_back(s);
        sum.total += s.total;
        sum.la += s.la;
        sum.ga += s.ga;
        sum.lc += s.lc;
        sum.gc += s.gc;
        sum.lr = lr;
        ++epoch_steps;
        ++step;
        if (progress) progress(step, schedule.total_steps, s.total);
      }
      if (!result.stopped && epoch_steps > 0) {
        const double k = static_cast<double>(epoch_steps);
        sum.total /= k;
        sum.la /= k;
        sum.ga /= k;
        sum.lc /= k;
        sum.gc /= k;
        result.epochs.push_back(sum);
      }
    }
  } catch (...) {
    if (use_rgb) rgb.set_requires_grad(false);
    if (use_pts) points.set_requires_grad(false);
    throw;
  }
  if (use_rgb) rgb.set_requires_grad(false);
  if (use_pts) points.set_requires_grad(false);
  result.train_seconds = seconds_since(t_train);
  return result;
}

}  // namespace lsfa
