// An application outside the build tree, built only with `pkg-config --cflags --libs lsfa`
// (tests/install/test_install.sh): loads a model bundle and prints what `lsfa info` prints, plus a
// tensor reduction (inline ATen code that needs the LibTorch libraries on the link line).
#include <cstdio>
#include <exception>
#include <iostream>

#include "lsfa/model/bundle.h"

int main(int argc, char **argv) {
  if (argc != 2) {
    std::cerr << "usage: use_lsfa MODEL.lsfa\n";
    return 2;
  }
  try {
    lsfa::ModelBundle bundle = lsfa::load_bundle(argv[1]);
    std::cout << lsfa::describe_bundle(bundle);
    if (bundle.rgb) std::printf("rgb bank sum %.6e\n", bundle.rgb->bank.sum().item<double>());
  } catch (const std::exception &e) {
    std::cerr << "use_lsfa: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
