// healthctl components: what is recorded, per component.

#include "commands.hpp"

#include <health/format.hpp>
#include <health/query.hpp>
#include <health/status.hpp>


#include <nlohmann/json.hpp>

namespace healthctl {

namespace {

nlohmann::json optional_time(const std::optional<health::Millis>& t) {
  return t ? nlohmann::json(health::format_time(*t)) : nlohmann::json(nullptr);
}

std::string time_cell(const std::optional<health::Millis>& t) {
  return t ? health::format_time(*t) : "-";
}

void run_components(const Globals& globals) {
  const auto format = choose_format(globals, "components", {"table", "json", "csv"}, "table");
  auto store = open_store(globals, health::OpenMode::read_only);
  const auto components = health::list_components(store);
  // A component's status comes from its open issues.
  const auto statuses = health::component_statuses(store);
  const auto status_of = [&](const std::string& component) {
    const auto found = statuses.find(component);
    return std::string(health::to_string(found == statuses.end() ? health::HealthStatus::healthy : found->second));
  };
  if (format == "json") {
    auto out = nlohmann::json::array();
    for (const auto& c : components)
      out.push_back({{"component", c.component}, {"series", c.series}, {"samples", c.samples},
                     {"first_seen", optional_time(c.first_seen)},
                     {"last_seen", optional_time(c.last_seen)}, {"status", status_of(c.component)}});
    write_out(out.dump() + "\n");
    return;
  }
  if (format == "csv") {
    std::string out = "component,series,samples,first_seen,last_seen,status\n";
    for (const auto& c : components) {
      health::append_csv_field(out, c.component, ',');
      out += "," + std::to_string(c.series) + "," + std::to_string(c.samples) + ",";
      out += (c.first_seen ? health::format_time(*c.first_seen) : "") + ",";
      out += (c.last_seen ? health::format_time(*c.last_seen) : "") + "," + status_of(c.component) + "\n";
    }
    write_out(out);
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : components)
    rows.push_back({c.component, std::to_string(c.series), std::to_string(c.samples),
                    time_cell(c.first_seen), time_cell(c.last_seen), status_of(c.component)});
  write_out(health::format_table({"COMPONENT", "SERIES", "SAMPLES", "FIRST_SEEN", "LAST_SEEN", "STATUS"}, rows));
}

} // namespace

void setup_components(CLI::App& app, const Globals& globals) {
  auto* command = app.add_subcommand("components", "List components with series and sample counts, last seen and status");
  command->callback([&globals] { run_components(globals); });
}

} // namespace healthctl
