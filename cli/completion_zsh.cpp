// The zsh completion script: a table of every command's words with their
// descriptions, written from the command tree, and the functions that read
// the command line with it (the same reading as bash's).

#include "completion.hpp"

namespace healthctl {

namespace {

// What every zsh script holds after its table. The table sets, for a
// command path, _healthctl_subcommands (NAME:DESCRIPTION), _healthctl_options
// (NAME:DESCRIPTION, or NAME=KIND:DESCRIPTION for one that takes a value),
// _healthctl_arguments (a KIND per argument; a last KIND... repeats) and
// _healthctl_formats.
constexpr std::string_view k_zsh_functions = R"ZSH(
# Sets kind to the KIND of option $1 among the options in force ('' for a
# flag); fails when there is no such option.
_healthctl_kind() {
  local entry spec
  kind=
  for entry in "${hc_options[@]}"; do
    spec=${entry%%:*}
    if [[ $spec == "$1" ]]; then
      return 0
    elif [[ $spec == "$1="* ]]; then
      kind=${spec#*=}
      return 0
    fi
  done
  return 1
}

# Sets kind to the KIND of argument number $1 (from 0) of the command.
_healthctl_argument_kind() {
  local -i n=$(( $1 + 1 ))
  kind=
  if (( n <= $#_healthctl_arguments )); then
    kind=${_healthctl_arguments[n]%...}
  elif [[ ${_healthctl_arguments[-1]} == *... ]]; then
    kind=${_healthctl_arguments[-1]%...}
  fi
}

# Prints each name in column $2 of `healthctl $1 --format csv` and the
# arguments after, once each; nothing when the database cannot be read.
# Runs the healthctl being completed, on the database the line names.
_healthctl_names() {
  local listing=$1 column=$2 program=${(Q)words[1]} line
  local -a db fields
  local -A seen
  shift 2
  [[ $program == '~/'* ]] && program=$HOME/${program#'~/'}
  if [[ -n $database ]]; then
    [[ $database == '~/'* ]] && database=$HOME/${database#'~/'}
    db=(--db "$database")
  fi
  HEALTH_BUSY_TIMEOUT=250 "$program" "${db[@]}" "$listing" --format csv "$@" 2>/dev/null </dev/null | {
    read -r line # the header
    while IFS=, read -rA fields; do
      line=${fields[column]}
      if [[ -n $line && -z ${seen[$line]} ]]; then
        seen[$line]=1
        print -r -- "$line"
      fi
    done
  }
}

# Completes a value of KIND $1.
_healthctl_value() {
  local kind=$1 name
  local -a list filter
  case $kind in
  (file) _files; return ;;
  (directory) _files -/; return ;;
  (format) list=("${_healthctl_formats[@]}") ;;
  (component|metric)
    compset -P '*,' # a comma list: its last name
    if [[ $kind == component ]]; then
      list=(${(f)"$(_healthctl_names components 1)"})
    else
      for name in "${components[@]}"; do filter+=(-c "$name"); done
      list=(${(f)"$(_healthctl_names metrics 2 "${filter[@]}")"})
    fi
    ;;
  (command)
    _healthctl_command ''
    _describe -t commands command _healthctl_subcommands
    return
    ;;
  (subcommand)
    _healthctl_command "${hc_arguments[1]}"
    _describe -t commands subcommand _healthctl_subcommands
    return
    ;;
  ('{'*'}')
    list=(${(s:,:)${${kind#?}%?}})
    ;;
  esac
  (( $#list )) && compadd -a list
}

# Keeps the database and the components option $1 names with value $2.
_healthctl_note() {
  local value=${(Q)2}
  [[ $1 == --db ]] && database=$value
  [[ $kind == component ]] && components+=("$value")
  return 0
}

# Walks the words before the cursor: the command path, the options in force
# (the command's and those of the commands above it), the arguments, the
# database (--db) and the components (-c) named; pending and kind when the
# cursor is on the value of an option.
_healthctl_walk() {
  local word
  local -i i=2
  _healthctl_command ''
  hc_options=("${_healthctl_options[@]}")
  while (( i < CURRENT )); do
    word=${words[i]}
    if [[ -z $no_options && $word == -- ]]; then
      no_options=1
    elif [[ -z $no_options && $word == -?* ]]; then
      _healthctl_kind "${word%%=*}"
      if [[ $word == *=* ]]; then
        _healthctl_note "${word%%=*}" "${word#*=}"
      elif [[ -n $kind ]]; then
        (( i++ ))
        if (( i == CURRENT )); then
          pending=1
          return 0
        fi
        _healthctl_note "$word" "${words[i]}"
      fi
    elif (( ! $#hc_arguments && ${_healthctl_subcommands[(I)${(b)word}:*]} )); then
      cmdpath=${cmdpath:+$cmdpath }$word
      _healthctl_command "$cmdpath"
      hc_options+=("${_healthctl_options[@]}")
    else
      hc_arguments+=("${(Q)word}")
    fi
    (( i++ ))
  done
  return 0
}

_healthctl() {
  local cmdpath= database= no_options= pending= kind= entry
  local -a hc_options hc_arguments components
  local -aU described
  local -a _healthctl_subcommands _healthctl_options _healthctl_arguments _healthctl_formats
  local -i j
  _healthctl_walk
  if [[ -n $pending ]]; then
    _healthctl_value "$kind"
  elif [[ -z $no_options && $PREFIX == -?*=* ]]; then
    _healthctl_kind "${PREFIX%%=*}" && [[ -n $kind ]] || return 1
    compset -P '*='
    _healthctl_value "$kind"
  elif [[ -z $no_options && $PREFIX == -* ]]; then
    for entry in "${hc_options[@]}"; do described+=("${${entry%%:*}%%=*}:${entry#*:}"); done
    _describe -t options option described
  elif (( $#_healthctl_subcommands && ! $#hc_arguments )); then
    _describe -t commands command _healthctl_subcommands
  else
    for (( j = 1; j <= $#hc_arguments; j++ )); do # a metric is one of the component before it
      _healthctl_argument_kind $(( j - 1 ))
      [[ $kind == component ]] && components+=("${hc_arguments[j]}")
    done
    _healthctl_argument_kind $#hc_arguments
    _healthctl_value "$kind"
  fi
}

if [[ $funcstack[1] == _healthctl ]]; then
  # Autoloaded from $fpath: this file is the body of _healthctl.
  _healthctl "$@"
elif (( $+functions[compdef] )); then
  compdef _healthctl healthctl
fi
)ZSH";

std::string zsh_array(std::string_view name, const std::vector<std::string>& items) {
  std::string out = "    " + std::string(name) + "=(";
  for (std::size_t i = 0; i < items.size(); ++i) out.append(i == 0 ? "" : " ").append(shell_quote(items[i]));
  return out + ")\n";
}

// One branch of the table: the words of `command`.
std::string zsh_branch(const CommandSpec& command) {
  std::string out = "  (" + shell_quote(command.path_text()) + ")\n";
  out += zsh_array("_healthctl_subcommands", described_subcommands(command, ':'));
  out += zsh_array("_healthctl_options", described_option_entries(command, ':'));
  out += zsh_array("_healthctl_arguments", argument_entries(command));
  out += zsh_array("_healthctl_formats", command.formats);
  return out + "    ;;\n";
}

} // namespace

std::string zsh_script(const CommandSpec& tree, std::string_view version) {
  std::string out = "#compdef healthctl\n";
  out += "# zsh completion for healthctl, written by `healthctl completion zsh` (healthctl " +
         std::string(version) + ")\n"
         "# from its commands. Install it as _healthctl in a folder of $fpath, or enable it\n"
         "# with `source <(healthctl completion zsh)` in ~/.zshrc after compinit.\n\n";
  out += "# The words of the command PATH ('' for healthctl itself, 'backup list').\n"
         "_healthctl_command() {\n"
         "  case $1 in\n";
  for (const CommandSpec* command : every_command(tree)) out += zsh_branch(*command);
  out += "  (*)\n"
         "    _healthctl_subcommands=() _healthctl_options=() _healthctl_arguments=() _healthctl_formats=()\n"
         "    ;;\n"
         "  esac\n"
         "}\n";
  out += k_zsh_functions;
  return out;
}

} // namespace healthctl
