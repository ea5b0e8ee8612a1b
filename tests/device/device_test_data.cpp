#include "device_test_data.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <vector>

#include "lsfa/data/synth.h"
#include "lsfa/training/learn_bundle.h"

namespace lsfa::test {

at::Tensor device_cloud(int64_t n, uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  at::Tensor p = at::rand({n, 3}, gen).mul_(0.1f).add_(0.05f);
  const int64_t dup = n / 10;
  p.narrow(0, n - dup, dup).copy_(p.narrow(0, 0, dup));
  return p;
}

Sample device_sample(int width, int height, uint64_t seed) {
  SynthFrame f =
      render_synth_scene(make_synth_scene(synth_categories().front(), width, height, seed));
  Sample s;
  s.rgb = f.rgb;
  s.xyz = f.xyz;
  return s;
}

DeviceModel device_model(const std::string &device) {
  ExtractorConfig c;
  c.preset = "small";
  FeatureExtractor cpu(c);
  std::vector<SampleFeatures> train, held;
  for (uint64_t seed = 0; seed < 7; ++seed)
    (seed < 4 ? train : held).push_back(cpu.extract(device_sample(96, 72, seed)));
  LearnOptions options;
  options.build.coreset.ratio = 0.5;
  ModelBundle bundle = learn_bundle(c, cpu.identity(), train, held, options).bundle;
  DeviceModel m;
  c.device = device;
  m.extractor = std::make_unique<FeatureExtractor>(c);
  m.scorer = std::make_unique<Scorer>(std::move(bundle));
  m.scorer->set_device(device);
  return m;
}

}  // namespace lsfa::test
