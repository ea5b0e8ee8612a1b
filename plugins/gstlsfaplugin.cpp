// The GStreamer plugin `lsfa`: thin elements over liblsfa.
#include <gst/gst.h>
#include <gst/lsfa/lsfa.h>

#include "gstlsfafeatures.h"
#include "gstlsfametapublish.h"
#include "gstlsfaoverlay.h"
#include "gstlsfarecorder.h"
#include "gstlsfascore.h"
#include "gstlsfasrc.h"
#include "lsfa_plugin_info.h"

static gboolean plugin_init(GstPlugin *plugin) {
  gst_lsfa_caps_init();
  gboolean ok = FALSE;
  ok |= GST_ELEMENT_REGISTER(lsfafeatures, plugin);
  ok |= GST_ELEMENT_REGISTER(lsfascore, plugin);
  ok |= GST_ELEMENT_REGISTER(lsfaoverlay, plugin);
  ok |= GST_ELEMENT_REGISTER(lsfasrc, plugin);
  ok |= GST_ELEMENT_REGISTER(lsfametapublish, plugin);
  ok |= GST_ELEMENT_REGISTER(lsfarecorder, plugin);
  return ok;
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, lsfa,
                  "LSFA industrial RGB + 3D anomaly detection", plugin_init, PACKAGE_VERSION,
                  "MIT/X11", "gst-lsfa", LSFA_PLUGIN_ORIGIN)
