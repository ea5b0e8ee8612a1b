// examples/ablation.sh on a tiny configuration (one category, one epoch, few samples): it must run
// the four variants and write a table with the paper's four rows and metrics in [0,1].
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "lsfa/io/atomic_file.h"
#include "test_util.h"

TEST(AblationScript, TinyRunWritesTheFourRowTable) {
  const char *scripts = std::getenv("LSFA_TEST_SCRIPTS");  // <source>/tests/python
  const char *tool = std::getenv("LSFA_TOOL");
  ASSERT_TRUE(scripts && tool) << "run through meson test";
  lsfa::test::TempDir dir;
  const std::string out = dir.file("abl");
  const std::string cmd = "LSFA='" + std::string(tool) + "' bash '" + std::string(scripts) +
                          "/../../examples/ablation.sh' -o '" + out +
                          "' -c ring -e 1 -s 3 -n 6,3,2,1 > '" + dir.file("stdout") + "' 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << lsfa::read_file(dir.file("stdout"));

  nlohmann::json table = nlohmann::json::parse(lsfa::read_file(out + "/ablation.json"));
  ASSERT_EQ(table["rows"].size(), 4u);
  const char *variants[4] = {"none", "clc", "ifc", "both"};
  const bool ifc[4] = {false, false, true, true}, clc[4] = {false, true, false, true};
  for (int i = 0; i < 4; ++i) {
    const nlohmann::json &row = table["rows"][i];
    EXPECT_EQ(row["variant"], variants[i]);
    EXPECT_EQ(row["ifc"], ifc[i]);
    EXPECT_EQ(row["clc"], clc[i]);
    for (const char *k : {"image_auroc", "aupro_0_3", "pixel_auroc"}) {
      const double v = row["mean"][k];
      EXPECT_GE(v, 0.0) << variants[i] << " " << k;
      EXPECT_LE(v, 1.0) << variants[i] << " " << k;
      EXPECT_EQ(v, row["per_category"]["ring"][k].get<double>());  // one category: mean = it
    }
  }
  const std::string md = lsfa::read_file(out + "/ablation.md");
  EXPECT_NE(md.find("| IFC | CLC | I-AUROC | AUPRO | P-AUROC |"), std::string::npos) << md;
  // The adapted models differ from the baseline: training did change the features.
  EXPECT_NE(table["rows"][0]["mean"]["pixel_auroc"].get<double>(),
            table["rows"][3]["mean"]["pixel_auroc"].get<double>());
}
