// Who made the plugin and where to reach them: one place for the plugin's origin and the Author
// field of every element (gst-inspect-1.0 shows both).
#pragma once

#define LSFA_PLUGIN_ORIGIN "https://github.com/gst-lsfa/gst-lsfa"
// GStreamer's Author convention is "Name <contact>"; the contact is the issue tracker.
#define LSFA_ELEMENT_AUTHOR "gst-lsfa developers <" LSFA_PLUGIN_ORIGIN "/issues>"
