#include "help.hpp"

#include "commands.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace healthctl {

namespace {

std::vector<DeclaredFormats>* g_declared_formats = nullptr;

// The column where descriptions start, as CLI11 lays out options.
constexpr std::size_t k_name_width = 30;

void add_row(std::string& out, std::string_view name, std::string_view description) {
  std::string row = "  ";
  row += name;
  if (row.size() >= k_name_width) {
    row += '\n';
    row.append(k_name_width, ' ');
  } else {
    row.append(k_name_width - row.size(), ' ');
  }
  out += row;
  out += description;
  out += '\n';
}

std::string node_description(NodeUse node) {
  switch (node) {
  case NodeUse::records_as: return "Record as this node (env HEALTH_NODE_NAME; default the host name)";
  case NodeUse::filters: return "Only this node's series";
  case NodeUse::none: break;
  }
  return {};
}

std::string format_description(const Formats& formats) {
  std::string text(formats.names[0]);
  text += " (default";
  if (!formats.default_note.empty()) text.append("; ").append(formats.default_note);
  text += ")";
  for (std::size_t i = 1; i < formats.names.size(); ++i)
    if (!formats.names[i].empty()) text.append(", ").append(formats.names[i]);
  return text;
}

// The command of healthctl's top level that `app` belongs to ("backup" for
// "backup list"), whose man page documents it.
const CLI::App* top_command(const CLI::App* app) {
  while (app->get_parent() != nullptr && app->get_parent()->get_parent() != nullptr) app = app->get_parent();
  return app;
}

// "healthctl backup list": the names from the root down to `app`.
std::string command_path(const CLI::App* app) {
  std::string path = app->get_name();
  for (const CLI::App* parent = app->get_parent(); parent != nullptr; parent = parent->get_parent())
    path = parent->get_name() + " " + path;
  return path;
}

// The innermost command the command line selected.
const CLI::App* selected_command(const CLI::App& root) {
  const CLI::App* app = &root;
  for (auto subcommands = app->get_subcommands(); !subcommands.empty(); subcommands = app->get_subcommands())
    app = subcommands.front();
  return app;
}

std::vector<std::string> command_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App* sub) { return !sub->get_name().empty(); }))
    names.push_back(sub->get_name());
  return names;
}

std::string join(const std::vector<std::string>& names, std::string_view separator) {
  std::string out;
  for (const auto& name : names) {
    if (!out.empty()) out += separator;
    out += name;
  }
  return out;
}

// The option names a user may mean in `app`: its own and those of the
// commands above it (global options), "--name" and "-n" forms.
std::vector<std::string> option_names(const CLI::App* app) {
  std::vector<std::string> names;
  for (; app != nullptr; app = app->get_parent()) {
    for (const CLI::Option* option : app->get_options()) {
      for (const auto& name : option->get_lnames()) names.push_back("--" + name);
      for (const auto& name : option->get_snames()) names.push_back("-" + name);
    }
  }
  return names;
}

// How a positional argument reads in usage lines: its option text (such as
// "COMPONENT METRIC") or its name in capitals.
std::string argument_name(const CLI::Option* option) {
  std::string name = option->get_option_text();
  if (name.empty()) {
    name = option->get_name(true, false);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::toupper(c); });
  }
  if (option->get_expected_max() >= CLI::detail::expected_max_vector_size) name += "...";
  return name;
}

std::string usage_line(const CLI::App* app) {
  std::string line = command_path(app);
  const auto options = app->get_options([app](const CLI::Option* option) {
    return option->nonpositional() && option != app->get_help_ptr();
  });
  if (!options.empty()) line += " [OPTIONS]";
  for (const CLI::Option* option : app->get_options([](const CLI::Option* o) { return o->get_positional(); })) {
    const auto name = argument_name(option);
    line += " " + (option->get_required() ? name : "[" + name + "]");
  }
  if (!command_names(*app).empty()) line += app->get_require_subcommand_min() == 0 ? " [COMMAND]" : " COMMAND";
  return line;
}

class HelpFormatter final : public CLI::Formatter {
public:
  HelpFormatter() { label("Positionals", "Arguments"); }

  std::string make_usage(const CLI::App* app, std::string) const override {
    return "Usage: " + usage_line(app) + "\n";
  }

  std::string make_option_name(const CLI::Option* option, bool positional) const override {
    return positional ? argument_name(option) : option->get_name(false, true);
  }

  // The value an option takes, in words; none of CLI11's validator names,
  // exclusions or counts.
  std::string make_option_opts(const CLI::Option* option) const override {
    if (option->get_positional() || option->get_type_size() == 0) return {};
    std::string type = option->get_type_name();
    type = type.substr(0, type.find(':'));
    std::string out = " " + type;
    if (option->get_expected_max() >= CLI::detail::expected_max_vector_size) out += " ...";
    if (option->get_required()) out += " (required)";
    return out;
  }

  // The options of the command above, when a view of it takes them
  // (analyze's --since applies to analyze diagnose).
  std::string make_footer(const CLI::App* app) const override {
    std::string out;
    const CLI::App* parent = app->get_parent();
    if (parent != nullptr && parent->get_parent() != nullptr) {
      const auto options = parent->get_options([parent](const CLI::Option* option) {
        return option->nonpositional() && option != parent->get_help_ptr();
      });
      if (!options.empty()) {
        out += "Options of '" + command_path(parent) + "' (given before or after " + app->get_name() + "):\n";
        for (const CLI::Option* option : options)
          add_row(out, make_option_name(option, false) + make_option_opts(option), option->get_description());
        out += '\n';
      }
    }
    return out + app->get_footer() + "\n";
  }
};

std::string lowercase_first(std::string text) {
  if (!text.empty()) text.front() = static_cast<char>(std::tolower(static_cast<unsigned char>(text.front())));
  return text;
}

// The first word of the command line that no command or option took.
std::string first_unparsed(const CLI::App& root) {
  const auto unparsed = root.remaining(true);
  return unparsed.empty() ? std::string() : unparsed.front();
}

} // namespace

Problem unknown_command(const CLI::App* app, const std::string& typed) {
  const bool top = app->get_parent() == nullptr;
  const std::string path = command_path(app);
  const std::string below_root = path.substr(path.find(' ') + 1); // "threshold", without "healthctl"
  Problem problem{"unknown command '" + (top ? typed : below_root + " " + typed) + "'",
                  "see '" + command_path(app) + " --help'"};
  const auto names = command_names(*app);
  if (const auto near = closest_name(typed, names); !near.empty())
    problem.hint = "did you mean '" + near + "'?";
  return problem;
}

namespace {

Problem unexpected_argument(const CLI::App& root, const CLI::App* app) {
  const std::string typed = first_unparsed(root);
  if (!typed.empty() && typed.front() == '-' && typed != "-") {
    const std::string name = typed.substr(0, typed.find('='));
    Problem problem{"unknown option '" + name + "'", "see '" + command_path(app) + " --help'"};
    if (const auto near = closest_name(name, option_names(app)); !near.empty())
      problem.hint = "did you mean '" + near + "'?";
    return problem;
  }
  if (!command_names(*app).empty() && app->get_subcommands().empty()) return unknown_command(app, typed);
  return {"unexpected argument '" + typed + "'", "usage: " + usage_line(app)};
}

Problem missing_argument(const CLI::App& root, const CLI::App* app, const CLI::ParseError& error) {
  if (!command_names(*app).empty() && app->get_subcommands().empty()) {
    const std::string typed = first_unparsed(root);
    if (!typed.empty() && typed.front() != '-') return unknown_command(app, typed);
    if (app->get_parent() == nullptr) return {"no command given", "see 'healthctl help'"};
    return {"'" + command_path(app) + "' needs a command: " + join(command_names(*app), ", "),
            "see '" + command_path(app) + " --help'"};
  }
  for (const CLI::Option* option : app->get_options()) {
    if (!option->get_required() || option->count() > 0) continue;
    if (option->get_positional()) return {"missing " + argument_name(option), "usage: " + usage_line(app)};
    return {"missing " + option->get_name(false, true).substr(option->get_name(false, true).rfind(',') + 1),
            "see '" + command_path(app) + " --help'"};
  }
  return {lowercase_first(error.what()), "see '" + command_path(app) + " --help'"};
}

// An option given without its value, or a positional with too few words:
// CLI11 names the option first in its message.
Problem wrong_count(const CLI::App* app, const CLI::ParseError& error) {
  const std::string message = error.what();
  for (const CLI::App* scope = app; scope != nullptr; scope = scope->get_parent()) {
    for (const CLI::Option* option : scope->get_options()) {
      const std::string name = option->get_name();
      if (name.empty() || message.find(name) == std::string::npos) continue;
      if (option->get_positional()) return {"expected " + argument_name(option), "usage: " + usage_line(app)};
      return {option->get_name(false, true).substr(option->get_name(false, true).rfind(',') + 1) +
                  " needs a value",
              "see '" + command_path(app) + " --help'"};
    }
  }
  return {lowercase_first(message), "see '" + command_path(app) + " --help'"};
}

// "--step excludes --max-points" as "--step and --max-points cannot be used together".
Problem excluded(const CLI::App* app, const CLI::ParseError& error) {
  std::istringstream words(error.what());
  std::string first;
  std::string verb;
  std::string second;
  words >> first >> verb >> second;
  if (verb != "excludes" || second.empty()) return {lowercase_first(error.what()), {}};
  return {first + " and " + second + " cannot be used together", "see '" + command_path(app) + " --help'"};
}

} // namespace

void collect_formats(std::vector<DeclaredFormats>* into) { g_declared_formats = into; }

void describe_globals(CLI::App* command, const Formats& formats, NodeUse node) {
  if (g_declared_formats != nullptr) g_declared_formats->push_back({command, formats});
  std::string text = "Global options (before or after the command):\n";
  add_row(text, "--db FILE", "Database file (env HEALTH_DB_PATH)");
  if (node != NodeUse::none) add_row(text, "--node NAME", node_description(node));
  if (!formats.names[0].empty()) add_row(text, "--format FORMAT", format_description(formats));
  add_row(text, "-q,--quiet", "Print nothing but data and errors");
  add_row(text, "-v,--verbose", "Explain more, errors included");
  text += "\nSee healthctl-" + top_command(command)->get_name() + "(1) for every flag, with examples.";
  command->footer(text);
}

void setup_help(CLI::App& app, const Globals&) {
  // Listed with the commands; main() turns `help X` into `X --help` before
  // parsing, so this command is never run itself.
  auto* command = app.add_subcommand("help", "Show the options of a command, the same as COMMAND --help");
  command->add_option("command")
      ->description("The command, and its subcommand if it has them")
      ->option_text("COMMAND [SUBCOMMAND]")
      ->expected(1, 2);
  command->footer("See healthctl-help(1).");
}

std::shared_ptr<CLI::FormatterBase> help_formatter() { return std::make_shared<HelpFormatter>(); }

Problem explain(const CLI::App& root, const CLI::ParseError& error) {
  const CLI::App* app = selected_command(root);
  // By type: CLI11 names some errors after the command instead of the kind.
  if (dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr) return unexpected_argument(root, app);
  if (dynamic_cast<const CLI::RequiredError*>(&error) != nullptr) return missing_argument(root, app, error);
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&error) != nullptr) return wrong_count(app, error);
  if (dynamic_cast<const CLI::ExcludesError*>(&error) != nullptr) return excluded(app, error);
  return {lowercase_first(error.what()), "see '" + command_path(app) + " --help'"};
}

std::string closest_name(std::string_view typed, const std::vector<std::string>& names) {
  // Optimal string alignment distance: insertions, deletions, substitutions
  // and swaps of two neighbours ("recrod") each count one.
  const auto distance = [typed](std::string_view name) {
    const std::size_t n = typed.size();
    const std::size_t m = name.size();
    std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
    for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= n; ++i) {
      for (std::size_t j = 1; j <= m; ++j) {
        const std::size_t cost = typed[i - 1] == name[j - 1] ? 0 : 1;
        d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
        if (i > 1 && j > 1 && typed[i - 1] == name[j - 2] && typed[i - 2] == name[j - 1])
          d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
    return d[n][m];
  };
  std::string best;
  std::size_t best_distance = 3;
  const std::size_t letters = typed.size() - static_cast<std::size_t>(
      std::count(typed.begin(), typed.end(), '-'));
  for (const auto& name : names) {
    const std::size_t edits = distance(name);
    if (edits < best_distance && 2 * edits < letters) {
      best = name;
      best_distance = edits;
    }
  }
  return best;
}

namespace {

std::vector<std::string> g_arguments; // as main parses them

} // namespace

void keep_arguments(const std::vector<char*>& args) { g_arguments.assign(args.begin(), args.end()); }

std::optional<std::vector<std::string>> words_after_separator() {
  std::vector<char*> args;
  for (auto& word : g_arguments) args.push_back(word.data());
  for (std::size_t i = command_index(args) + 1; i < g_arguments.size(); ++i)
    if (g_arguments[i] == "--")
      return std::vector<std::string>(g_arguments.begin() + static_cast<std::ptrdiff_t>(i) + 1, g_arguments.end());
  return std::nullopt;
}

std::size_t command_index(const std::vector<char*>& args) {
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string_view arg(args[i]);
    if (arg == "--db" || arg == "--node" || arg == "--format") {
      ++i;
      continue;
    }
    if (!arg.empty() && arg.front() != '-') return i;
  }
  return args.size();
}

bool rewrite_help(std::vector<char*>& args) {
  static char help_flag[] = "--help";
  const std::size_t at = command_index(args);
  if (at == args.size() || std::string_view(args[at]) != "help") return false;
  // `help --help` is help's own help, as `help help` is.
  for (std::size_t i = at + 1; i < args.size(); ++i)
    if (std::string_view(args[i]) == "--help" || std::string_view(args[i]) == "-h") return false;
  args.erase(args.begin() + static_cast<std::ptrdiff_t>(at));
  args.push_back(help_flag);
  return true;
}

} // namespace healthctl
