#pragma once
// The pieces of analyze's documents that the report is built from too
// (render/analyze_document.cpp), so both say the same facts in the same
// words.

#include <health/analyze.hpp>

#include "render/json.hpp"

#include <string>
#include <string_view>

namespace health {

// The full analysis document of DESIGN.md section 7, each series' history
// included when the analysis kept it.
Json analysis_json(const Analysis& analysis);

// The Markdown brief of such a document under `title`, with `extra` (whole
// sections, each starting "\n## ") before its notes.
std::string analysis_brief(const Json& doc, const std::string& title, NodeNames nodes, std::string_view extra = {});

// One finding in words, as the brief lists it: "Level shift: app/memory_bytes
// avg at a median of 252469000 since ... against 200064000 before (the whole
// baseline) (score 8.1)".
std::string finding_text(const Anomaly& anomaly, NodeNames nodes);

} // namespace health
