// The bash completion script: a table of every command's words written from
// the command tree, and the functions that read the command line with it.

#include "completion.hpp"

namespace healthctl {

namespace {

// What every bash script holds after its table. The table sets, for a
// command path, _healthctl_subcommands (names), _healthctl_options (NAME, or
// NAME=KIND for one that takes a value), _healthctl_arguments (a KIND per
// argument; a last KIND... repeats) and _healthctl_formats.
constexpr std::string_view k_bash_functions = R"BASH(
# Sets words and cword: the words of the line up to the cursor as healthctl
# sees them (bash splits --db=FILE and a:b at = and :; they are joined again).
_healthctl_words() {
  local line=${COMP_LINE:0:COMP_POINT} blanks word i
  words=() cword=-1
  if [[ -z $line ]]; then
    words=("${COMP_WORDS[@]:0:COMP_CWORD+1}") cword=$COMP_CWORD
    return 0
  fi
  for ((i = 0; i <= COMP_CWORD; i++)); do
    blanks=${line%%[![:space:]]*}
    line=${line#"$blanks"}
    word=${COMP_WORDS[i]}
    if ((i == COMP_CWORD)); then word=$line; fi
    if ((cword < 0)) || [[ -n $blanks ]]; then
      words+=("$word")
      cword=$((cword + 1))
    else
      words[cword]+=$word
    fi
    line=${line:${#word}}
  done
}

# Sets kind to the KIND of option $1 among the options in force ('' for a
# flag); fails when there is no such option.
_healthctl_kind() {
  local entry
  kind=
  for entry in "${options[@]}"; do
    if [[ $entry == "$1" ]]; then
      return 0
    elif [[ $entry == "$1="* ]]; then
      kind=${entry#*=}
      return 0
    fi
  done
  return 1
}

# Sets kind to the KIND of argument number $1 (from 0) of the command.
_healthctl_argument_kind() {
  local -a kinds
  read -ra kinds <<<"$_healthctl_arguments"
  kind=
  if (($1 < ${#kinds[@]})); then
    kind=${kinds[$1]%...}
  elif ((${#kinds[@]} > 0)) && [[ ${kinds[-1]} == *... ]]; then
    kind=${kinds[-1]%...}
  fi
}

# Prints each name in column $2 (from 0) of `healthctl $1 --format csv` and
# the arguments after, once each; nothing when the database cannot be read.
# Runs the healthctl being completed, on the database the line names.
_healthctl_names() {
  local listing=$1 column=$2 program=${words[0]} line
  local -a db=() fields=()
  local -A seen=()
  shift 2
  [[ $program == '~/'* ]] && program=$HOME/${program:2}
  if [[ -n $database ]]; then
    [[ $database == '~/'* ]] && database=$HOME/${database:2}
    db=(--db "$database")
  fi
  {
    read -r line # the header
    while IFS=, read -ra fields; do
      line=${fields[column]}
      if [[ -n $line && -z ${seen[$line]+set} ]]; then
        seen[$line]=1
        printf '%s\n' "$line"
      fi
    done
  } < <(HEALTH_BUSY_TIMEOUT=250 "$program" "${db[@]}" "$listing" --format csv "$@" 2>/dev/null </dev/null)
}

# Sets COMPREPLY to the words after $1 that start with $1 (no word is
# expanded, as compgen -W would expand a name read from the database).
_healthctl_match() {
  local prefix=$1 word
  shift
  COMPREPLY=()
  for word; do
    [[ $word == "$prefix"* ]] && COMPREPLY+=("$word")
  done
  return 0
}

# Sets COMPREPLY to the values of KIND $1 that start with $2, each after $3.
_healthctl_value() {
  local kind=$1 cur=$2 lead= name i
  local -a list=() filter=()
  case $kind in
  file | directory)
    compopt -o filenames 2>/dev/null
    if [[ $kind == file ]]; then
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    else
      mapfile -t COMPREPLY < <(compgen -d -- "$cur")
    fi
    ;;
  format) read -ra list <<<"$_healthctl_formats" ;;
  component | metric)
    if [[ $cur == *,* ]]; then # a comma list: its last name
      lead=${cur%,*},
      cur=${cur##*,}
    fi
    if [[ $kind == component ]]; then
      mapfile -t list < <(_healthctl_names components 0)
    else
      for name in "${components[@]}"; do filter+=(-c "$name"); done
      mapfile -t list < <(_healthctl_names metrics 1 "${filter[@]}")
    fi
    ;;
  command)
    _healthctl_command ''
    read -ra list <<<"$_healthctl_subcommands"
    ;;
  subcommand)
    _healthctl_command "${arguments[0]}"
    read -ra list <<<"$_healthctl_subcommands"
    ;;
  '{'*'}')
    IFS=, read -ra list <<<"${kind:1:${#kind}-2}"
    ;;
  esac
  [[ $kind == file || $kind == directory ]] || _healthctl_match "$cur" "${list[@]}"
  for i in "${!COMPREPLY[@]}"; do COMPREPLY[i]=$3$lead${COMPREPLY[i]}; done
}

# bash replaces only the part of the word after its last = or : (when they
# break words, as by default): drops what comes before from every candidate.
_healthctl_trim() {
  local breaks= lead i
  [[ $COMP_WORDBREAKS == *=* ]] && breaks+='='
  [[ $COMP_WORDBREAKS == *:* ]] && breaks+=':'
  [[ -n $breaks && $1 == *["$breaks"]* ]] || return 0
  lead=${1%"${1##*["$breaks"]}"}
  for i in "${!COMPREPLY[@]}"; do COMPREPLY[i]=${COMPREPLY[i]#"$lead"}; done
}

# Walks the words before the cursor: the command path, the options in force
# (the command's and those of the commands above it), the arguments, the
# database (--db) and the components (-c) named; pending and kind when the
# cursor is on the value of an option.
_healthctl_walk() {
  local word i=1
  local -a more=()
  _healthctl_command ''
  read -ra options <<<"$_healthctl_options"
  while ((i < cword)); do
    word=${words[i]}
    if [[ -z $no_options && $word == -- ]]; then
      no_options=1
    elif [[ -z $no_options && $word == -?* ]]; then
      _healthctl_kind "${word%%=*}"
      if [[ $word == *=* ]]; then
        _healthctl_note "${word%%=*}" "${word#*=}"
      elif [[ -n $kind ]]; then
        i=$((i + 1))
        if ((i == cword)); then
          pending=1
          return 0
        fi
        _healthctl_note "$word" "${words[i]}"
      fi
    elif ((${#arguments[@]} == 0)) && [[ " $_healthctl_subcommands " == *" $word "* ]]; then
      cmdpath=${cmdpath:+$cmdpath }$word
      _healthctl_command "$cmdpath"
      read -ra more <<<"$_healthctl_options"
      options+=("${more[@]}")
    else
      arguments+=("$word")
    fi
    i=$((i + 1))
  done
  return 0
}

# Keeps the database and the components option $1 names with value $2.
_healthctl_note() {
  [[ $1 == --db ]] && database=$2
  [[ $kind == component ]] && components+=("$2")
  return 0
}

_healthctl() {
  local words cword cur cmdpath= database= no_options= pending= kind= name n j
  local -a options=() arguments=() components=() names=()
  local _healthctl_subcommands _healthctl_options _healthctl_arguments _healthctl_formats
  COMPREPLY=()
  _healthctl_words
  cur=${words[cword]}
  _healthctl_walk
  if [[ -n $pending ]]; then
    _healthctl_value "$kind" "$cur"
  elif [[ -z $no_options && $cur == -?*=* ]]; then
    _healthctl_kind "${cur%%=*}" && [[ -n $kind ]] && _healthctl_value "$kind" "${cur#*=}" "${cur%%=*}="
  elif [[ -z $no_options && $cur == -* ]]; then
    for name in "${options[@]%%=*}"; do # once each: every command has --help
      [[ " ${names[*]} " == *" $name "* ]] || names+=("$name")
    done
    _healthctl_match "$cur" "${names[@]}"
  elif [[ -n $_healthctl_subcommands ]] && ((${#arguments[@]} == 0)); then
    read -ra names <<<"$_healthctl_subcommands"
    _healthctl_match "$cur" "${names[@]}"
  else
    n=${#arguments[@]}
    for ((j = 0; j < n; j++)); do # a metric is one of the component before it
      _healthctl_argument_kind "$j"
      [[ $kind == component ]] && components+=("${arguments[j]}")
    done
    _healthctl_argument_kind "$n"
    _healthctl_value "$kind" "$cur"
  fi
  _healthctl_trim "$cur"
  return 0
}

complete -F _healthctl healthctl
)BASH";

// One branch of the table: the words of `command`.
std::string bash_branch(const CommandSpec& command) {
  std::vector<std::string> subcommands;
  for (const auto& sub : command.subcommands) subcommands.push_back(sub.path.back());
  std::string out = "  " + shell_quote(command.path_text()) + ")\n";
  out += "    _healthctl_subcommands=" + shell_quote(join_words(subcommands)) + "\n";
  out += "    _healthctl_options=" + shell_quote(join_words(option_entries(command))) + "\n";
  out += "    _healthctl_arguments=" + shell_quote(join_words(argument_entries(command))) + "\n";
  out += "    _healthctl_formats=" + shell_quote(join_words(command.formats)) + "\n";
  return out + "    ;;\n";
}

} // namespace

std::string bash_script(const CommandSpec& tree, std::string_view version) {
  std::string out = "# bash completion for healthctl                          -*- shell-script -*-\n";
  out += "# Written by `healthctl completion bash` (healthctl " + std::string(version) + ") from its\n"
         "# commands; enable it with `source <(healthctl completion bash)` in ~/.bashrc.\n\n";
  out += "# The words of the command PATH ('' for healthctl itself, 'backup list').\n"
         "_healthctl_command() {\n"
         "  case $1 in\n";
  for (const CommandSpec* command : every_command(tree)) out += bash_branch(*command);
  out += "  *)\n"
         "    _healthctl_subcommands= _healthctl_options= _healthctl_arguments= _healthctl_formats=\n"
         "    ;;\n"
         "  esac\n"
         "}\n";
  out += k_bash_functions;
  return out;
}

} // namespace healthctl
