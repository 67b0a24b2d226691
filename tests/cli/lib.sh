# lib.sh: the small assertion helpers of the command-line tests. Source it
# after setting $tmp; it counts into $passed / $failed.
passed=0 failed=0
ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }
# expect_status CODE COMMAND...: run it, keep stdout/stderr in $tmp/out, err.
expect_status() {
  local want=$1; shift
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  [ "$got" = "$want" ] && ok || { fail "'$*' exited $got, expected $want"; cat "$tmp/err" >&2; }
}
# expect_out LINE: the exact line is in the last command's stdout.
expect_out() {
  grep -qxF -- "$1" "$tmp/out" && ok || { fail "missing line: $1"; cat "$tmp/out" >&2; }
}
# expect_err TEXT: the text is in the last command's stderr.
expect_err() {
  grep -qF -- "$1" "$tmp/err" && ok || { fail "stderr lacks: $1"; cat "$tmp/err" >&2; }
}
# finish: the summary line and the exit status.
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" = 0 ]
}
