// The fish completion script: a table of every command's words with their
// descriptions, written from the command tree, and one function that reads
// the command line with it (the same reading as bash's) and prints the
// candidates.

#include "completion.hpp"

namespace healthctl {

namespace {

// What every fish script holds after its table. The table sets, for a
// command path ('healthctl backup list'), __healthctl_subcommands
// ('NAME DESCRIPTION'), __healthctl_options ('NAME DESCRIPTION', or
// 'NAME=KIND DESCRIPTION' for one that takes a value), __healthctl_arguments
// (a KIND per argument; a last KIND... repeats) and __healthctl_formats.
constexpr std::string_view k_fish_functions = R"FISH(
function __healthctl_kind --argument-names name --description 'The KIND of an option in force (nothing for a flag); fails when there is none'
    for entry in $__healthctl_in_force
        set -l parts (string split -m1 = -- (string split -m1 ' ' -- $entry)[1])
        if test "x$parts[1]" = "x$name"
            set -q parts[2]; and echo $parts[2]
            return 0
        end
    end
    return 1
end

function __healthctl_argument_kind --argument-names n --description 'The KIND of argument number n (from 0)'
    set -l index (math $n + 1)
    set -l kind
    if test $index -le (count $__healthctl_arguments)
        set kind $__healthctl_arguments[$index]
    else if test (count $__healthctl_arguments) -gt 0; and string match -q -- '*...' $__healthctl_arguments[-1]
        set kind $__healthctl_arguments[-1]
    end
    test -n "$kind"; and string replace -r '\.\.\.$' '' -- $kind
    return 0
end

function __healthctl_names --argument-names kind --description 'Component or metric names read from the database, by the healthctl being completed'
    set -l program (string replace -r '^~/' "$HOME/" -- "$__healthctl_program")
    set -l args
    if test -n "$__healthctl_db"
        set args --db (string replace -r '^~/' "$HOME/" -- "$__healthctl_db")
    end
    set -l column 1
    if test "x$kind" = xmetric
        set column 2
        set args $args metrics --format csv
        for component in $__healthctl_components
            set args $args -c $component
        end
    else
        set args $args components --format csv
    end
    env HEALTH_BUSY_TIMEOUT=250 $program $args 2>/dev/null </dev/null | tail -n +2 | cut -d, -f$column | sort -u
end

function __healthctl_note --argument-names name kind value --description 'Keeps the database and the components an option names'
    test "x$name" = x--db; and set -g __healthctl_db $value
    test "x$kind" = xcomponent; and set -g __healthctl_components $__healthctl_components $value
    return 0
end

function __healthctl_value --argument-names kind token prefix --description 'The values of KIND, each after prefix'
    switch $kind
        case file
            for path in (__fish_complete_path $token)
                echo $prefix$path
            end
        case directory
            for path in (__fish_complete_directories $token)
                echo $prefix$path
            end
        case format
            for name in $__healthctl_formats
                echo $prefix$name
            end
        case component metric
            set -l lead (string match -r '^.*,' -- $token) # a comma list: its last name
            for name in (__healthctl_names $kind)
                echo $prefix$lead$name
            end
        case command subcommand
            if test $kind = command
                __healthctl_command healthctl
            else
                __healthctl_command "healthctl $__healthctl_args[1]"
            end
            test (count $__healthctl_subcommands) -gt 0; and printf '%s\n' $__healthctl_subcommands | string replace ' ' \t
        case '{*}'
            for choice in (string split , -- (string trim -c '{}' -- $kind))
                echo $prefix$choice
            end
    end
end

function __healthctl_walk --description 'Reads the words before the token: command path, options in force, arguments, database, components'
    set -l tokens (commandline -opc)
    set -g __healthctl_program $tokens[1]
    set -g __healthctl_path healthctl
    set -g __healthctl_args
    set -g __healthctl_db
    set -g __healthctl_components
    set -g __healthctl_pending
    set -g __healthctl_no_options
    __healthctl_command healthctl
    set -g __healthctl_in_force $__healthctl_options
    set -l i 2
    while test $i -le (count $tokens)
        set -l word $tokens[$i]
        if test -z "$__healthctl_no_options"; and test "x$word" = x--
            set -g __healthctl_no_options 1
        else if test -z "$__healthctl_no_options"; and string match -q -- '-?*' $word
            set -l parts (string split -m1 = -- $word)
            set -l kind (__healthctl_kind $parts[1])
            if set -q parts[2]
                __healthctl_note $parts[1] "$kind" $parts[2]
            else if test -n "$kind"
                set i (math $i + 1)
                if test $i -gt (count $tokens)
                    set -g __healthctl_pending $kind
                    return 0
                end
                __healthctl_note $word $kind $tokens[$i]
            end
        else if test (count $__healthctl_args) -eq 0 -a (count $__healthctl_subcommands) -gt 0; and contains -- $word (string replace -r ' .*' '' -- $__healthctl_subcommands)
            set -g __healthctl_path "$__healthctl_path $word"
            __healthctl_command $__healthctl_path
            set -g __healthctl_in_force $__healthctl_in_force $__healthctl_options
        else
            set -g __healthctl_args $__healthctl_args $word
        end
        set i (math $i + 1)
    end
end

function __healthctl_complete --description 'The candidates for the healthctl token being completed'
    __healthctl_walk
    set -l token (commandline -ct)
    if test -n "$__healthctl_pending"
        __healthctl_value $__healthctl_pending "$token" ''
    else if test -z "$__healthctl_no_options"; and string match -q -- '-?*=*' "$token"
        set -l parts (string split -m1 = -- "$token")
        set -l kind (__healthctl_kind $parts[1])
        test -n "$kind"; and __healthctl_value $kind "$parts[2]" "$parts[1]="
    else if test -z "$__healthctl_no_options"; and string match -q -- '-*' "$token"
        for entry in $__healthctl_in_force
            set -l parts (string split -m1 ' ' -- $entry)
            printf '%s\t%s\n' (string split -m1 = -- $parts[1])[1] "$parts[2]"
        end
    else if test (count $__healthctl_subcommands) -gt 0; and test (count $__healthctl_args) -eq 0
        printf '%s\n' $__healthctl_subcommands | string replace ' ' \t
    else
        set -l n (count $__healthctl_args)
        set -l j 1
        while test $j -le $n # a metric is one of the component before it
            set -l kind (__healthctl_argument_kind (math $j - 1))
            test "x$kind" = xcomponent; and set -g __healthctl_components $__healthctl_components $__healthctl_args[$j]
            set j (math $j + 1)
        end
        set -l kind (__healthctl_argument_kind $n)
        test -n "$kind"; and __healthctl_value $kind "$token" ''
    end
end

complete -c healthctl -f -a '(__healthctl_complete)'
)FISH";

std::string fish_list(std::string_view name, const std::vector<std::string>& items) {
  std::string out = "            set -g " + std::string(name);
  for (const auto& item : items) out.append(" ").append(fish_quote(item));
  return out + "\n";
}

// One branch of the table: the words of `command`.
std::string fish_branch(const CommandSpec& command) {
  std::string path = "healthctl";
  if (!command.path.empty()) path.append(" ").append(command.path_text());
  std::string out = "        case " + fish_quote(path) + "\n";
  out += fish_list("__healthctl_subcommands", described_subcommands(command, ' '));
  out += fish_list("__healthctl_options", described_option_entries(command, ' '));
  out += fish_list("__healthctl_arguments", argument_entries(command));
  return out + fish_list("__healthctl_formats", command.formats);
}

} // namespace

std::string fish_script(const CommandSpec& tree, std::string_view version) {
  std::string out = "# fish completion for healthctl, written by `healthctl completion fish` (healthctl " +
                    std::string(version) + ")\n"
                    "# from its commands. Install it as healthctl.fish in a folder of\n"
                    "# $fish_complete_path, or enable it with `healthctl completion fish | source`.\n\n";
  out += "function __healthctl_command --argument-names cmdpath --description 'The words of a healthctl command'\n"
         "    set -g __healthctl_subcommands\n"
         "    set -g __healthctl_options\n"
         "    set -g __healthctl_arguments\n"
         "    set -g __healthctl_formats\n"
         "    switch $cmdpath\n";
  for (const CommandSpec* command : every_command(tree)) out += fish_branch(*command);
  out += "    end\n"
         "end\n";
  out += k_fish_functions;
  return out;
}

} // namespace healthctl
