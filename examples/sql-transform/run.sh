#!/bin/bash
# SQL transformation component (Keboola Common Interface): loads every input table
# into SQLite, runs the configured queries in order, writes the named tables out.
#
# Exit codes follow the interface: 1 is the user's fault (bad config, a failing
# query) and its stderr is what the user reads; 2 is this script's own failure.
set -uo pipefail
shopt -s nullglob

data=${KBC_DATADIR:-/data}
data=${data%/}
config=$data/config.json

user_error() {
  printf '%s\n' "$*" >&2
  exit 1
}

# Anything not foreseen below is a bug here, not in the user's config.
set -E
trap 'echo "internal error at line $LINENO: $BASH_COMMAND failed" >&2; exit 2' ERR

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db=$work/transform.sqlite

main() {
  check_config
  load_input_tables
  run_queries
  write_output_tables
}

check_config() {
  [[ -f $config ]] || user_error "config.json not found in $data/"
  local err
  if ! err=$(jq -e 'type == "object"' "$config" 2>&1 >/dev/null); then
    user_error "config.json is not a JSON object: ${err:-it is $(jq -c type "$config")}"
  fi
  if ! jq -e '.parameters.queries | type == "array" and all(type == "string")' \
    "$config" >/dev/null; then
    user_error "parameters.queries must be a list of SQL statements (strings)," \
      'e.g. {"parameters": {"queries": ["CREATE TABLE t AS SELECT ..."],' \
      '"output_tables": ["t"]}}'
  fi
  # Names become file names under out/tables: keep them plain.
  if ! jq -e '.parameters.output_tables | type == "array" and all(
      type == "string" and test("^[A-Za-z0-9_][A-Za-z0-9_.-]*$"))' \
    "$config" >/dev/null; then
    user_error "parameters.output_tables must be a list of table names" \
      "(letters, digits, _ . -), e.g. [\"monthly\"]"
  fi
}

load_input_tables() {
  local file name err rows
  for file in "$data"/in/tables/*.csv; do
    name=$(basename "$file" .csv)
    [[ -s $file ]] || user_error "in/tables/$name.csv is empty: it needs at least a header row"
    # The header row names the columns; every column is TEXT, as in Keboola's storage.
    if ! err=$(sqlite3 -bail -batch "$db" ".import --csv $(dot_arg "$file") $(dot_arg "$name")" \
      2>&1 >/dev/null) || [[ -n $err ]]; then
      user_error "could not load in/tables/$name.csv: ${err:-sqlite3 failed}"
    fi
    rows=$(sqlite3 -batch "$db" "SELECT count(*) FROM $(sql_ident "$name")")
    echo "loaded table $name ($rows rows)"
  done
}

run_queries() {
  local count i sql err
  count=$(jq '.parameters.queries | length' "$config")
  for ((i = 0; i < count; i++)); do
    sql=$(jq -r --argjson i "$i" '.parameters.queries[$i]' "$config")
    # Safe mode: a query is SQL, not a way to run the shell's dot-commands.
    # Rows that a bare SELECT returns go nowhere; results are kept as tables.
    if ! err=$(sqlite3 -safe -bail -batch "$db" 2>&1 >/dev/null <<<"$sql"); then
      user_error "query $((i + 1)) of $count failed: $(one_line "$sql")
SQLite: ${err:-unknown error}"
    fi
    echo "ran query $((i + 1)) of $count"
  done
}

write_output_tables() {
  local names name found file rows
  mapfile -t names < <(jq -r '.parameters.output_tables[]' "$config")
  mkdir -p "$data/out/tables"
  for name in "${names[@]}"; do
    found=$(sqlite3 -batch "$db" "SELECT name FROM sqlite_schema
      WHERE type IN ('table', 'view') AND name = $(sql_string "$name") COLLATE NOCASE")
    if [[ -z $found ]]; then
      user_error "output table $name does not exist after the queries" \
        "(tables there: $(sqlite3 -batch "$db" "SELECT group_concat(name, ', ')
          FROM sqlite_schema WHERE type IN ('table', 'view')"))"
    fi

    file=$data/out/tables/$name.csv
    # CSV as RFC 4180 but with \n line ends, which every tool downstream expects.
    sqlite3 -batch "$db" >"$file" <<SQL
.headers on
.mode csv
.separator "," "\n"
SELECT * FROM $(sql_ident "$found");
SQL
    # The shell prints the header with the first row only; an empty table keeps it.
    if [[ ! -s $file ]]; then
      sqlite3 -batch "$db" "SELECT group_concat('\"' || replace(name, '\"', '\"\"') || '\"', ',')
        FROM pragma_table_info($(sql_string "$found"))" >"$file"
    fi
    rows=$(sqlite3 -batch "$db" "SELECT count(*) FROM $(sql_ident "$found")")
    echo "wrote out/tables/$name.csv ($rows rows)"
  done
}

# A statement on one line reads better in a job's message than the config's layout.
one_line() {
  local s
  s=$(printf '%s' "$1" | tr -s '[:space:]' ' ')
  s=${s# }
  printf '%s' "${s% }"
}

# Quoting for the three languages a name passes through.
sql_ident() { printf '"%s"' "${1//\"/\"\"}"; }
sql_string() { printf "'%s'" "${1//\'/\'\'}"; }
dot_arg() {
  local s=${1//\\/\\\\}
  printf '"%s"' "${s//\"/\\\"}"
}

main
