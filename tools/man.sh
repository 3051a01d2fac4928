#!/bin/sh
# Writes the manual page recur(1) on stdout from the program's own --help
# texts, so that the page and --help cannot disagree:
#   sh tools/man.sh build/recur > build/recur.1
# Each command's help (and each task's, where a task has its own) becomes a
# section of preformatted text under COMMANDS.
set -eu
recur=$1
version=$("$recur" --version | sed 's/^recur //')

roff() {  # preformatted block: escape backslashes, guard leading . and '
    printf '.nf\n'
    sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"
    printf '.fi\n'
}
section() {  # $1: heading, then the command's arguments
    heading=$1
    shift
    printf '.SS "%s"\n' "$heading"
    "$recur" "$@" | roff
}
tasks() {  # $1: command; a section per task whose help differs from the plain one
    for task in classify forecast music; do
        "$recur" "$1" --task "$task" --help >/dev/null 2>&1 || continue
        [ "$("$recur" "$1" --task "$task" --help)" = "$("$recur" "$1" --help)" ] ||
            section "recur $1 --task $task" "$1" --task "$task" --help
    done
}

cat <<HEAD
.TH RECUR 1 "" "recur $version" "User Commands"
.SH NAME
recur \\- recurrent neural networks (RNN, LSTM, GRU) with PyTorch's numerics
.SH SYNOPSIS
.B recur
.I command
[\\fIoptions\\fR]
.SH DESCRIPTION
HEAD
"$recur" --help | roff
printf '.SH COMMANDS\n'
# the commands as --help lists them
for cmd in $("$recur" --help | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p'); do
    section "recur $cmd" "$cmd" --help
    tasks "$cmd"
done
cat <<TAIL
.SH EXIT STATUS
0 on success, 1 when something in the data, a file or the run is wrong (a message on
standard error says what), 2 for a usage error.
.SH SEE ALSO
The README and docs/ of the recur source tree; \\fBpkg-config\\fR(1) module \\fBrecur\\fR for
the C library (\\fIrecur.h\\fR).
TAIL
