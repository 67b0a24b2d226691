# ttr_indicators.R: `trader indicators` against R's TTR on TTR's ttrc data.
#
# usage: Rscript ttr_indicators.R TRADER_BIN WORK_DIR
#
# Exports data(ttrc) (5550 daily bars, 1985-2006) to WORK_DIR/ttrc.csv, runs
# `trader indicators --data ttrc.csv --ind SPEC ...` for every indicator with
# default and non-default parameters, and compares each output column with
# the TTR call of shared/reference/indicators.md, scaled to TA-Lib's
# conventions (WPR * -100, ROC discrete * 100, stoch * 100, runSD with
# sample = FALSE, MACD with percent = FALSE, MFI on (H+L+C)/3).
#
# For each column: the first non-empty row must be the documented warm-up;
# empty fields must sit where TTR has NA (two documented exceptions below);
# values must agree to 1e-9, relative to max(|TTR|, 1e-3 * the column's
# largest |TTR|), i.e. absolute near 0. Exit status 0 when everything
# agrees, 1 on any mismatch, 77 (skipped) when TTR is not installed.

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 2) {
  cat("usage: Rscript ttr_indicators.R TRADER_BIN WORK_DIR\n")
  quit(status = 2)
}
trader <- args[1]
dir <- args[2]
if (!suppressWarnings(requireNamespace("TTR", quietly = TRUE))) {
  cat("R package TTR is not installed (Debian: r-cran-ttr): skipped\n")
  # `make test` installs TTR first and sets TR_REQUIRE_ORACLES: there, a
  # missing oracle is a broken set-up, not a reason to skip.
  quit(status = if (Sys.getenv("TR_REQUIRE_ORACLES") == "1") 1 else 77)
}
suppressPackageStartupMessages(library(TTR))

TOL <- 1e-9

# ---- the data -------------------------------------------------------------
data(ttrc)
dir.create(dir, showWarnings = FALSE, recursive = TRUE)
csv <- file.path(dir, "ttrc.csv")
write.csv(data.frame(Date = format(ttrc$Date, "%Y-%m-%d"),
                     Open = ttrc$Open, High = ttrc$High, Low = ttrc$Low,
                     Close = ttrc$Close, Volume = ttrc$Volume),
          csv, row.names = FALSE)
# write.csv keeps 15 significant digits; ttrc's prices have at most 4
# decimals, so the file holds every value exactly. Prove it by reading back.
back <- read.csv(csv, colClasses = c("character", rep("numeric", 5)))
for (col in c("Open", "High", "Low", "Close", "Volume")) {
  if (!identical(back[[col]], as.numeric(ttrc[[col]]))) {
    cat(sprintf("ttrc.csv does not read back bit for bit (column %s)\n", col))
    quit(status = 1)
  }
}
O <- back$Open; H <- back$High; L <- back$Low; C <- back$Close
V <- back$Volume
HLC <- cbind(H, L, C)
nrows <- length(C)

# ---- the checks -----------------------------------------------------------
# Each check: our column, the TTR series, our documented warm-up (first
# valid 0-based row), the first row compared, and whether NA positions must
# match TTR's exactly.
checks <- list()
specs <- character()
add <- function(spec, column, ttr, warmup, from = warmup, na_exact = TRUE,
                call = "") {
  specs <<- unique(c(specs, spec))
  checks[[length(checks) + 1]] <<- list(spec = spec, column = column,
                                        ttr = as.numeric(ttr),
                                        warmup = warmup, from = from,
                                        na_exact = na_exact, call = call)
}

for (n in c(5, 20, 50)) {
  add(sprintf("sma:%d", n), sprintf("sma_%d", n), SMA(C, n), n - 1,
      call = sprintf("SMA(C, %d)", n))
  add(sprintf("ema:%d", n), sprintf("ema_%d", n), EMA(C, n), n - 1,
      call = sprintf("EMA(C, %d)", n))
  add(sprintf("wma:%d", n), sprintf("wma_%d", n), WMA(C, n), n - 1,
      call = sprintf("WMA(C, %d)", n))
}
for (n in c(2, 14, 30)) {
  add(sprintf("rsi:%d", n), sprintf("rsi_%d", n),
      RSI(C, n, maType = "EMA", wilder = TRUE), n,
      call = sprintf("RSI(C, %d, maType=\"EMA\", wilder=TRUE)", n))
}

# MACD: TTR seeds the fast EMA at row 0 and shows the MACD line from row
# s-1; TA-Lib (ours) starts both EMAs at row s-1 and shows all three
# outputs from row s+g-2. The seeds converge: compare values from row 200.
# The signal (and so the histogram) has the same NA positions in both.
for (p in list(c(12, 26, 9), c(5, 35, 5), c(3, 10, 16))) {
  spec <- sprintf("macd:%d:%d:%d", p[1], p[2], p[3])
  sfx <- sprintf("%d_%d_%d", p[1], p[2], p[3])
  m <- MACD(C, p[1], p[2], p[3], maType = "EMA", percent = FALSE)
  w <- p[2] + p[3] - 2
  call <- sprintf("MACD(C, %d, %d, %d, maType=\"EMA\", percent=FALSE)",
                  p[1], p[2], p[3])
  add(spec, paste0("macd_", sfx), m[, "macd"], w, from = 200,
      na_exact = FALSE, call = paste0(call, "[, \"macd\"]"))
  add(spec, paste0("macd_signal_", sfx), m[, "signal"], w, from = 200,
      call = paste0(call, "[, \"signal\"]"))
  add(spec, paste0("macd_hist_", sfx), m[, "macd"] - m[, "signal"], w,
      from = 200, call = "macd - signal")
}

for (p in list(c(20, 2), c(10, 1.5), c(5, 3))) {
  spec <- sprintf("bbands:%g:%g", p[1], p[2])
  sfx <- sprintf("%g_%g", p[1], p[2])
  b <- BBands(C, p[1], maType = "SMA", sd = p[2])
  call <- sprintf("BBands(C, %g, maType=\"SMA\", sd=%g)", p[1], p[2])
  add(spec, paste0("bbands_upper_", sfx), b[, "up"], p[1] - 1,
      call = paste0(call, "[, \"up\"]"))
  add(spec, paste0("bbands_middle_", sfx), b[, "mavg"], p[1] - 1,
      call = paste0(call, "[, \"mavg\"]"))
  add(spec, paste0("bbands_lower_", sfx), b[, "dn"], p[1] - 1,
      call = paste0(call, "[, \"dn\"]"))
}

for (n in c(14, 5, 1)) {
  a <- ATR(HLC, n, maType = "EMA", wilder = TRUE)
  add(sprintf("atr:%d", n), sprintf("atr_%d", n), a[, "atr"], n,
      call = sprintf("ATR(HLC, %d, maType=\"EMA\", wilder=TRUE)[, \"atr\"]", n))
  add(sprintf("natr:%d", n), sprintf("natr_%d", n), 100 * a[, "atr"] / C, n,
      call = sprintf("100 * ATR(HLC, %d, ...)[, \"atr\"] / C", n))
}
add("trange", "trange", ATR(HLC, 14, maType = "EMA", wilder = TRUE)[, "tr"],
    1, call = "ATR(HLC, 14, ...)[, \"tr\"]")

for (n in c(14, 7, 30)) {
  d <- ADX(HLC, n, maType = "EMA", wilder = TRUE)
  call <- sprintf("ADX(HLC, %d, maType=\"EMA\", wilder=TRUE)", n)
  add(sprintf("adx:%d", n), sprintf("adx_%d", n), d[, "ADX"], 2 * n - 1,
      call = paste0(call, "[, \"ADX\"]"))
  add(sprintf("plus_di:%d", n), sprintf("plus_di_%d", n), d[, "DIp"], n,
      call = paste0(call, "[, \"DIp\"]"))
  add(sprintf("minus_di:%d", n), sprintf("minus_di_%d", n), d[, "DIn"], n,
      call = paste0(call, "[, \"DIn\"]"))
}

# STOCH: TA-Lib (ours) shows slow %K together with slow %D from row
# k+sk+sd-3; TTR shows its fastD (= slow %K) from row k+sk-2.
for (p in list(c(14, 3, 3), c(5, 3, 3), c(21, 5, 4))) {
  spec <- sprintf("stoch:%d:%d:%d", p[1], p[2], p[3])
  sfx <- sprintf("%d_%d_%d", p[1], p[2], p[3])
  s <- 100 * stoch(HLC, nFastK = p[1], nFastD = p[2], nSlowD = p[3],
                   maType = "SMA")
  w <- p[1] + p[2] + p[3] - 3
  call <- sprintf("100 * stoch(HLC, %d, %d, %d, maType=\"SMA\")",
                  p[1], p[2], p[3])
  add(spec, paste0("stoch_slowk_", sfx), s[, "fastD"], w, na_exact = FALSE,
      call = paste0(call, "[, \"fastD\"]"))
  add(spec, paste0("stoch_slowd_", sfx), s[, "slowD"], w,
      call = paste0(call, "[, \"slowD\"]"))
}

add("obv", "obv", OBV(C, V), 0, call = "OBV(C, V)")

for (n in c(20, 10, 40)) {
  add(sprintf("cci:%d", n), sprintf("cci_%d", n),
      CCI(HLC, n, maType = "SMA"), n - 1,
      call = sprintf("CCI(HLC, %d, maType=\"SMA\")", n))
}
for (n in c(14, 7, 50)) {
  add(sprintf("willr:%d", n), sprintf("willr_%d", n), -100 * WPR(HLC, n),
      n - 1, call = sprintf("-100 * WPR(HLC, %d)", n))
}
TP <- (H + L + C) / 3
for (n in c(14, 5, 30)) {
  add(sprintf("mfi:%d", n), sprintf("mfi_%d", n), MFI(TP, V, n), n,
      call = sprintf("MFI((H+L+C)/3, V, %d)", n))
}
for (n in c(10, 1, 25)) {
  add(sprintf("roc:%d", n), sprintf("roc_%d", n),
      100 * ROC(C, n, type = "discrete"), n,
      call = sprintf("100 * ROC(C, %d, type=\"discrete\")", n))
  add(sprintf("mom:%d", n), sprintf("mom_%d", n), momentum(C, n), n,
      call = sprintf("momentum(C, %d)", n))
}
for (n in c(20, 5, 100)) {
  add(sprintf("stddev:%d", n), sprintf("stddev_%d", n),
      runSD(C, n, sample = FALSE), n - 1,
      call = sprintf("runSD(C, %d, sample=FALSE)", n))
}

# ---- run trader -------------------------------------------------------------
out_csv <- file.path(dir, "indicators.csv")
err_txt <- file.path(dir, "indicators.stderr")
cmd_args <- c("indicators", "--data", shQuote(csv),
              as.vector(rbind("--ind", specs)))
status <- system2(trader, cmd_args, stdout = out_csv, stderr = err_txt)
if (status != 0) {
  cat(sprintf("trader indicators exited with status %d:\n", status))
  cat(readLines(err_txt), sep = "\n")
  quit(status = 1)
}
ours <- read.csv(out_csv, check.names = FALSE,
                 colClasses = c(time = "character"))
if (nrow(ours) != nrows) {
  cat(sprintf("trader wrote %d rows, expected %d\n", nrow(ours), nrows))
  quit(status = 1)
}
if (!identical(ours$time, format(ttrc$Date, "%Y-%m-%d"))) {
  cat("the time column differs from ttrc's dates\n")
  quit(status = 1)
}

# ---- compare ----------------------------------------------------------------
passed <- 0
failed <- 0
worst <- list()
fail <- function(ck, msg) {
  cat(sprintf("FAIL %s [%s] vs %s: %s\n", ck$spec, ck$column, ck$call, msg))
  failed <<- failed + 1
}
for (ck in checks) {
  if (!(ck$column %in% names(ours))) {
    fail(ck, "no such column in trader's output")
    next
  }
  x <- ours[[ck$column]]
  y <- ck$ttr
  ok <- TRUE
  first <- which(!is.na(x))[1] - 1
  if (is.na(first) || first != ck$warmup) {
    fail(ck, sprintf("first value at row %s, documented warm-up is %d",
                     first, ck$warmup))
    ok <- FALSE
  } else if (any(is.na(x[(first + 1):nrows]))) {
    fail(ck, sprintf("empty field after the warm-up, row %d",
                     first + which(is.na(x[(first + 1):nrows]))[1] - 1))
    ok <- FALSE
  }
  bad_na <- if (ck$na_exact) which(is.na(x) != is.na(y))
            else which(!is.na(x) & is.na(y))
  if (length(bad_na)) {
    r <- bad_na[1]
    fail(ck, sprintf(
      "%d rows differ in emptiness, first row %d: ours %s, TTR %s",
                     length(bad_na), r - 1, format(x[r], digits = 17),
                     format(y[r], digits = 17)))
    ok <- FALSE
  }
  rows <- seq.int(ck$from + 1, nrows)
  rows <- rows[!is.na(x[rows]) & !is.na(y[rows])]
  if (length(rows) == 0) {
    fail(ck, "no rows to compare")
    next
  }
  floor <- 1e-3 * max(abs(y[rows]))
  if (floor == 0) floor <- 1
  err <- abs(x[rows] - y[rows]) / pmax(abs(y[rows]), floor)
  k <- which.max(err)
  if (err[k] > TOL) {
    r <- rows[k]
    fail(ck, sprintf("row %d (%s): ours %.17g, TTR %.17g, relative error %.3g",
                     r - 1, ours$time[r], x[r], y[r], err[k]))
    ok <- FALSE
  }
  name <- sub(":.*", "", ck$spec)
  worst[[name]] <- max(c(worst[[name]], err[k]))
  if (ok) passed <- passed + 1
}

cat("max relative error vs TTR, per indicator:\n")
for (name in names(worst))
  cat(sprintf("  %-9s %.3g\n", name, worst[[name]]))
cat(sprintf("%d passed, %d failed\n", passed, failed))
quit(status = if (failed == 0) 0 else 1)
