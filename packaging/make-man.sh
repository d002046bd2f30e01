#!/bin/sh
# Writes the vigie(1) man page from the binary's own --help texts, so that the page says
# exactly what the command accepts. Usage: make-man.sh VIGIE_BINARY VERSION OUTPUT
set -eu
binary=$1
version=$2
output=$3

# roff: backslashes escaped, lines starting with . or ' protected, dashes kept as ASCII.
escape() {
  sed -e 's/\\/\\e/g' -e 's/^\([.'"'"']\)/\\\&\1/' -e 's/-/\\-/g'
}
# The help of `vigie ARGS --help`, with the program named vigie whatever its path.
help_of() {
  "$binary" "$@" --help | sed "s#^Usage: [^ ]*vigie#Usage: vigie#"
}
# The names listed under "Subcommands:" in a help text.
subcommands_of() {
  awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }'
}

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
  printf '.TH VIGIE 1 "" "vigie %s" "User Commands"\n' "$version"
  cat <<'ROFF'
.SH NAME
vigie \- real-time video analytics for public-safety CCTV operators
.SH SYNOPSIS
.B vigie
[\fIOPTIONS\fR] \fICOMMAND\fR [\fIARGS\fR]
.SH DESCRIPTION
.nf
ROFF
  help_of | escape
  printf '.fi\n.SH COMMANDS\n'
  for command in $(help_of | subcommands_of); do
    printf '.SS "vigie %s"\n.nf\n' "$command"
    help_of "$command" | escape
    printf '.fi\n'
    for sub in $(help_of "$command" | subcommands_of); do
      printf '.SS "vigie %s %s"\n.nf\n' "$command" "$sub"
      help_of "$command" "$sub" | escape
      printf '.fi\n'
    done
  done
  cat <<'ROFF'
.SH EXIT STATUS
0 success, 1 failure at run time, 2 bad usage or input.
.SH FILES
.TP
.I /etc/vigie/vigie.yaml
the node's configuration (\fBvigie check\-config \-\-schema\fR lists every key)
.TP
.I /etc/vigie/environment
secrets for ${NAME} in the configuration, read by the service (mode 0600)
.TP
.I /var/lib/vigie
the store, the journal and evidence, owned by the vigie user (mode 0700)
.SH SEE ALSO
systemctl(1), journalctl(1), /usr/share/doc/vigie/
ROFF
} >"$tmp"
gzip -9n <"$tmp" >"$output"
